package scheduler

import (
	"reflect"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

func node(id, status string, drain bool, devices ...string) *structs.Node {
	n := &structs.Node{ID: id, Address: id + ":7000", Status: status, Drain: drain}
	for i, d := range devices {
		health := structs.DeviceHealthy
		kind := d
		if d == "sick-cpu" {
			health, kind = structs.DeviceUnhealthy, "cpu"
		}
		n.Devices = append(n.Devices, structs.Device{ID: string(rune('a' + i)), Kind: kind, Health: health})
	}
	return n
}

func exp(id string, min, max int, device string) *structs.Experiment {
	return &structs.Experiment{ID: id, Status: structs.ExperimentPending,
		Spec: experiments.Spec{Workers: experiments.WorkersSpec{Min: min, Max: max, Device: device}}}
}

// placed maps experiment → node IDs of its ranks in rank order.
func placed(plans []Plan) map[string][]string {
	out := map[string][]string{}
	for _, p := range plans {
		for i, r := range p.Ranks {
			if r.Rank != i {
				panic("ranks out of order")
			}
			out[p.ExperimentID] = append(out[p.ExperimentID], r.NodeID)
		}
	}
	return out
}

func TestSchedule(t *testing.T) {
	up, down, drn := structs.NodeStatusUp, structs.NodeStatusDown, structs.NodeStatusDraining
	tests := []struct {
		name string
		in   Input
		want map[string][]string
	}{
		{"gang takes max when available",
			Input{Pending: []*structs.Experiment{exp("e1", 1, 3, "")},
				Nodes: []*structs.Node{node("n1", up, false, "cpu"), node("n2", up, false, "cpu"), node("n3", up, false, "cpu")}},
			map[string][]string{"e1": {"n1", "n2", "n3"}}},
		{"all or nothing below min",
			Input{Pending: []*structs.Experiment{exp("e1", 3, 3, "")},
				Nodes: []*structs.Node{node("n1", up, false, "cpu"), node("n2", up, false, "cpu")}},
			map[string][]string{}},
		{"skips down, draining and unhealthy nodes",
			Input{Pending: []*structs.Experiment{exp("e1", 1, 4, "")},
				Nodes: []*structs.Node{node("n1", down, false, "cpu"), node("n2", drn, true, "cpu"),
					node("n3", up, false, "sick-cpu"), node("n4", up, false, "cpu")}},
			map[string][]string{"e1": {"n4"}}},
		{"drain flag alone excludes",
			Input{Pending: []*structs.Experiment{exp("e1", 1, 1, "")},
				Nodes: []*structs.Node{node("n1", up, true, "cpu")}},
			map[string][]string{}},
		{"device kind must match",
			Input{Pending: []*structs.Experiment{exp("e1", 1, 2, "gpu")},
				Nodes: []*structs.Node{node("n1", up, false, "cpu"), node("n2", up, false, "gpu")}},
			map[string][]string{"e1": {"n2"}}},
		{"fifo: earlier experiment gets the nodes, later one backfills when it fits",
			Input{Pending: []*structs.Experiment{exp("e1", 2, 2, ""), exp("e2", 2, 2, ""), exp("e3", 1, 1, "")},
				Nodes: []*structs.Node{node("n1", up, false, "cpu"), node("n2", up, false, "cpu"), node("n3", up, false, "cpu")}},
			map[string][]string{"e1": {"n1", "n2"}, "e3": {"n3"}}},
		{"running attempts use capacity",
			Input{Pending: []*structs.Experiment{exp("e2", 1, 2, "")},
				Nodes: []*structs.Node{node("n1", up, false, "cpu"), node("n2", up, false, "cpu")},
				Running: []*structs.Attempt{{ID: "a1", ExperimentID: "e1", Status: structs.AttemptRunning,
					Ranks: []structs.Rank{{Rank: 0, NodeID: "n1"}}}},
				Experiments: map[string]*structs.Experiment{"e1": exp("e1", 1, 1, "")}},
			map[string][]string{"e2": {"n2"}}},
		{"two devices fit two experiments on one node",
			Input{Pending: []*structs.Experiment{exp("e1", 1, 1, ""), exp("e2", 1, 1, "")},
				Nodes: []*structs.Node{node("n1", up, false, "cpu", "cpu")}},
			map[string][]string{"e1": {"n1"}, "e2": {"n1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := placed(Decide(tc.in).Plans)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("placed %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNeedDefaults(t *testing.T) {
	got := NeedOf(exp("e", 0, 0, ""))
	want := Need{Kind: "cpu", Devices: 1, Min: 1, Max: 1}
	if got != want {
		t.Fatalf("NeedOf defaults = %+v, want %+v", got, want)
	}
}
