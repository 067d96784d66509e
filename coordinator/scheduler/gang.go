package scheduler

import "github.com/dxtrain/dxtrain/coordinator/structs"

// LargestGang is how many ranks of devicesPerWorker devices of the kind the whole
// cluster could ever host at once: the eligible nodes (up, not draining) with that
// many usable devices of the kind. A gang wider than this would wait for ever, so
// it is refused at submission.
func LargestGang(nodes []*structs.Node, kind string, devicesPerWorker int) int {
	if kind == "" {
		kind = "cpu"
	}
	devicesPerWorker = max(devicesPerWorker, 1)
	n := 0
	for _, node := range nodes {
		if node.Status == structs.NodeStatusUp && !node.Drain && node.UsableDevices(kind) >= devicesPerWorker {
			n++
		}
	}
	return n
}
