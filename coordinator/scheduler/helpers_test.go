package scheduler

import (
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// gpus is an up node with n healthy gpus g0…g(n-1).
func gpus(id string, n int) *structs.Node {
	node := &structs.Node{ID: id, Address: id + ":7000", Status: structs.NodeStatusUp}
	for i := 0; i < n; i++ {
		node.Devices = append(node.Devices, structs.Device{ID: fmt.Sprintf("g%d", i), Kind: "gpu", Health: structs.DeviceHealthy})
	}
	return node
}

// cluster is n nodes n1…nn of per gpus each.
func cluster(n, per int) []*structs.Node {
	var out []*structs.Node
	for i := 1; i <= n; i++ {
		out = append(out, gpus(fmt.Sprintf("n%d", i), per))
	}
	return out
}

// job is a pending gpu experiment of ranks × devs, queued age ago.
func job(id, project, class string, ranks, devs int, age time.Duration, limit string) *structs.Experiment {
	return &structs.Experiment{ID: id, Status: structs.ExperimentPending, QueuedAt: t0.Add(-age).UnixNano(),
		Spec: experiments.Spec{Project: project, Priority: class, TimeLimit: limit,
			Workers: experiments.WorkersSpec{Min: ranks, Max: ranks, Device: "gpu", DevicesPerWorker: devs}}}
}

// onNodes is a running attempt of e started ago, with devs devices on each node
// (named from first, as g<first>…).
func onNodes(id string, e *structs.Experiment, ago time.Duration, first int, nodes ...string) *structs.Attempt {
	a := &structs.Attempt{ID: id, ExperimentID: e.ID, Status: structs.AttemptRunning, CreatedAt: t0.Add(-ago).UnixNano()}
	d := NeedOf(e).Devices
	for i, n := range nodes {
		r := structs.Rank{Rank: i, NodeID: n, Address: n + ":7000"}
		for k := 0; k < d; k++ {
			r.Devices = append(r.Devices, fmt.Sprintf("g%d", first+k))
		}
		a.Ranks = append(a.Ranks, r)
	}
	return a
}

// world assembles an Input at t0 from running pairs and pending experiments.
type world struct {
	in Input
}

func newWorld(nodes []*structs.Node) *world {
	return &world{in: Input{Now: t0, Nodes: nodes, Experiments: map[string]*structs.Experiment{},
		Projects: map[string]*structs.Project{}, Classes: classes(), Usage: map[string]map[string]float64{},
		LostIfStopped: map[string]int64{}}}
}

func classes() map[string]structs.PriorityClass {
	out := map[string]structs.PriorityClass{}
	for _, c := range structs.DefaultPriorityClasses() {
		out[c.Name] = c
	}
	return out
}

func (w *world) project(name string, weight float64, quota, borrow int) *world {
	p := &structs.Project{Name: name, Weight: weight, Quota: map[string]int{"gpu": quota}}
	if borrow >= 0 {
		p.BorrowLimit = map[string]int{"gpu": borrow}
	}
	w.in.Projects[name] = p
	return w
}

func (w *world) pending(es ...*structs.Experiment) *world {
	for _, e := range es {
		w.in.Pending = append(w.in.Pending, e)
		w.in.Experiments[e.ID] = e
	}
	return w
}

func (w *world) running(e *structs.Experiment, a *structs.Attempt) *world {
	e.Status = structs.ExperimentRunning
	w.in.Experiments[e.ID] = e
	w.in.Running = append(w.in.Running, a)
	return w
}

// placedIDs is the experiments placed, in plan order.
func placedIDs(d Decision) []string {
	var out []string
	for _, p := range d.Plans {
		out = append(out, p.ExperimentID)
	}
	return out
}

func queueIDs(d Decision) []string {
	var out []string
	for _, q := range d.Queue {
		out = append(out, q.ExperimentID)
	}
	return out
}

func victims(d Decision) []string {
	var out []string
	for _, p := range d.Preemptions {
		out = append(out, p.AttemptID)
	}
	return out
}

func entry(d Decision, id string) QueueEntry {
	for _, q := range d.Queue {
		if q.ExperimentID == id {
			return q
		}
	}
	return QueueEntry{}
}
