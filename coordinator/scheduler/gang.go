package scheduler

import "github.com/dxtrain/dxtrain/coordinator/structs"

// LargestGang is how many ranks of devicesPerWorker devices of the kind the cluster
// could host if every registered node were up with every device usable: a down or
// draining node may come back and a cordoned device be repaired, so only a gang
// wider than this would wait for ever, and it is refused at submission.
func LargestGang(nodes []*structs.Node, kind string, devicesPerWorker int) int {
	if kind == "" {
		kind = "cpu"
	}
	devicesPerWorker = max(devicesPerWorker, 1)
	n := 0
	for _, node := range nodes {
		have := 0
		for _, d := range node.Devices {
			if d.Kind == kind {
				have++
			}
		}
		if have >= devicesPerWorker {
			n++
		}
	}
	return n
}
