// Package scheduler decides where experiments run. It is pure: given the pending
// queue, the nodes and what already runs, it returns attempt plans; the leader turns
// plans into committed attempts. Placement is gang placement — every rank of an
// attempt or none — on nodes that are up, not draining and have at least
// devices_per_worker usable devices of the requested kind (healthy or degraded, not
// cordoned), with each rank of one attempt on a distinct node.
package scheduler

import (
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Plan is one attempt to create: the experiment and its ranks in rank order.
type Plan struct {
	ExperimentID string
	Ranks        []structs.Rank
}

// Input is everything a scheduling pass looks at.
type Input struct {
	// Pending is the FIFO queue, oldest first.
	Pending []*structs.Experiment
	Nodes   []*structs.Node
	// Running are the running attempts, with Experiments giving their specs so their
	// device use can be subtracted from the nodes' capacity.
	Running     []*structs.Attempt
	Experiments map[string]*structs.Experiment
}

// Need is what one rank of an experiment asks of its node.
type Need struct {
	Kind    string // device kind: "cpu" or "gpu"
	Devices int
	Min     int
	Max     int
}

// NeedOf reads an experiment's request with the defaults filled: cpu, one device per
// worker, min 1, max = min.
func NeedOf(e *structs.Experiment) Need {
	w := e.Spec.Workers
	n := Need{Kind: w.Device, Devices: w.DevicesPerWorker, Min: w.Min, Max: w.Max}
	if n.Kind == "" {
		n.Kind = "cpu"
	}
	n.Devices = max(n.Devices, 1)
	n.Min = max(n.Min, 1)
	n.Max = max(n.Max, n.Min)
	return n
}

// Schedule places pending experiments in FIFO order. An experiment that cannot get
// at least Min ranks now is skipped for this pass (it keeps its place in the queue),
// so a large gang does not block small ones forever; placements made earlier in the
// pass are subtracted before later experiments are considered. Each rank is given
// specific devices of its node (the first free ones in the node's order), so that its
// processes can be shown exactly those.
func Schedule(in Input) []Plan {
	free := freeDevices(in)
	var plans []Plan
	for _, e := range in.Pending {
		need := NeedOf(e)
		var chosen []*structs.Node
		for _, n := range eligible(in.Nodes) {
			if len(free[n.ID][need.Kind]) >= need.Devices {
				chosen = append(chosen, n)
				if len(chosen) == need.Max {
					break
				}
			}
		}
		if len(chosen) < need.Min {
			continue
		}
		p := Plan{ExperimentID: e.ID}
		for i, n := range chosen {
			devs := free[n.ID][need.Kind][:need.Devices:need.Devices]
			free[n.ID][need.Kind] = free[n.ID][need.Kind][need.Devices:]
			p.Ranks = append(p.Ranks, structs.Rank{Rank: i, NodeID: n.ID, Address: n.Address, Devices: devs})
		}
		plans = append(plans, p)
	}
	return plans
}

// eligible returns the nodes that may take new ranks, sorted by ID.
func eligible(nodes []*structs.Node) []*structs.Node {
	var out []*structs.Node
	for _, n := range nodes {
		if n.Status == structs.NodeStatusUp && !n.Drain {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *structs.Node) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// freeDevices is, per node and device kind, the IDs of the usable devices (healthy or
// degraded, not cordoned) that no running attempt holds, in the node's device order.
// A running rank placed before ranks named their devices holds a count: that many
// are taken from the end.
func freeDevices(in Input) map[string]map[string][]string {
	held := map[string]bool{} // node/device
	anonymous := map[string]map[string]int{}
	for _, a := range in.Running {
		e, ok := in.Experiments[a.ExperimentID]
		if !ok || a.Status != structs.AttemptRunning {
			continue
		}
		need := NeedOf(e)
		for _, r := range a.Ranks {
			if len(r.Devices) == 0 {
				if anonymous[r.NodeID] == nil {
					anonymous[r.NodeID] = map[string]int{}
				}
				anonymous[r.NodeID][need.Kind] += need.Devices
			}
			for _, d := range r.Devices {
				held[r.NodeID+"/"+d] = true
			}
		}
	}
	free := map[string]map[string][]string{}
	for _, n := range in.Nodes {
		free[n.ID] = map[string][]string{}
		for _, d := range n.Devices {
			if d.Usable() && !held[n.ID+"/"+d.ID] {
				free[n.ID][d.Kind] = append(free[n.ID][d.Kind], d.ID)
			}
		}
		for kind, k := range anonymous[n.ID] {
			ids := free[n.ID][kind]
			free[n.ID][kind] = ids[:max(0, len(ids)-k)]
		}
	}
	return free
}
