package scheduler

import (
	"reflect"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// dev builds a device: kind, health and whether it is cordoned.
func dev(id, kind, health string, cordoned bool) structs.Device {
	return structs.Device{ID: id, Kind: kind, Health: health, Cordoned: cordoned}
}

func gpuNode(id string, devs ...structs.Device) *structs.Node {
	return &structs.Node{ID: id, Address: id + ":7000", Status: structs.NodeStatusUp, Devices: devs}
}

func expDevices(id, kind string, perWorker, max int) *structs.Experiment {
	return &structs.Experiment{ID: id, Status: structs.ExperimentPending,
		Spec: experiments.Spec{Workers: experiments.WorkersSpec{Min: 1, Max: max, Device: kind, DevicesPerWorker: perWorker}}}
}

func TestScheduleDeviceHealth(t *testing.T) {
	const (
		ok   = structs.DeviceHealthy
		warm = structs.DeviceDegraded
		bad  = structs.DeviceUnhealthy
	)
	tests := []struct {
		name  string
		exp   *structs.Experiment
		nodes []*structs.Node
		want  []string
	}{
		{"two gpus per worker: one unhealthy disqualifies the node",
			expDevices("e", "gpu", 2, 3),
			[]*structs.Node{
				gpuNode("n1", dev("g0", "gpu", ok, false), dev("g1", "gpu", bad, false)),
				gpuNode("n2", dev("g0", "gpu", ok, false), dev("g1", "gpu", ok, false)),
			},
			[]string{"n2"}},
		{"degraded devices still take work",
			expDevices("e", "gpu", 2, 3),
			[]*structs.Node{gpuNode("n1", dev("g0", "gpu", warm, false), dev("g1", "gpu", ok, false))},
			[]string{"n1"}},
		{"a cordoned device does not count even when reported healthy",
			expDevices("e", "gpu", 2, 3),
			[]*structs.Node{
				gpuNode("n1", dev("g0", "gpu", ok, true), dev("g1", "gpu", ok, false)),
				gpuNode("n2", dev("g0", "gpu", ok, false), dev("g1", "gpu", ok, false), dev("g2", "gpu", ok, true)),
			},
			[]string{"n2"}},
		{"devices of another kind do not count",
			expDevices("e", "gpu", 1, 3),
			[]*structs.Node{
				gpuNode("n1", dev("c0", "cpu", ok, false), dev("c1", "cpu", ok, false)),
				gpuNode("n2", dev("c0", "cpu", ok, false), dev("g0", "gpu", warm, false)),
			},
			[]string{"n2"}},
		{"cpu is the default kind and one device the default count",
			expDevices("e", "", 0, 3),
			[]*structs.Node{
				gpuNode("n1", dev("g0", "gpu", ok, false)),
				gpuNode("n2", dev("c0", "cpu", bad, false)),
				gpuNode("n3", dev("c0", "cpu", ok, false)),
			},
			[]string{"n3"}},
		{"legacy cordoned health is not usable",
			expDevices("e", "cpu", 1, 3),
			[]*structs.Node{gpuNode("n1", dev("c0", "cpu", structs.DeviceCordoned, false))},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plans := Decide(Input{Pending: []*structs.Experiment{tc.exp}, Nodes: tc.nodes}).Plans
			got := placed(plans)["e"]
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("placed on %v, want %v", got, tc.want)
			}
		})
	}
}

// TestScheduleNamesDistinctDevices: each rank is given specific devices, never one a
// running rank holds, and a rank placed before ranks named devices still holds its count.
func TestScheduleNamesDistinctDevices(t *testing.T) {
	const ok = structs.DeviceHealthy
	node := gpuNode("n1", dev("g0", "gpu", ok, false), dev("g1", "gpu", ok, false), dev("g2", "gpu", ok, true),
		dev("g3", "gpu", ok, false), dev("g4", "gpu", ok, false))
	running := expDevices("r", "gpu", 1, 1)
	old := expDevices("o", "gpu", 1, 1)
	in := Input{
		Pending: []*structs.Experiment{expDevices("a", "gpu", 1, 1), expDevices("b", "gpu", 2, 1), expDevices("c", "gpu", 1, 1)},
		Nodes:   []*structs.Node{node},
		Running: []*structs.Attempt{
			{ExperimentID: "r", Status: structs.AttemptRunning, Ranks: []structs.Rank{{NodeID: "n1", Devices: []string{"g1"}}}},
			{ExperimentID: "o", Status: structs.AttemptRunning, Ranks: []structs.Rank{{NodeID: "n1"}}}, // holds one, unnamed
		},
		Experiments: map[string]*structs.Experiment{"r": running, "o": old},
	}
	got := map[string][]string{}
	for _, p := range Decide(in).Plans {
		got[p.ExperimentID] = p.Ranks[0].Devices
	}
	// Free in order: g0, g3 (g1 is r's, g2 cordoned, g4 taken by o's unnamed rank).
	// a gets g0; b needs two of the one left and waits; c gets g3.
	want := map[string][]string{"a": {"g0"}, "c": {"g3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("placements %v, want %v", got, want)
	}
}
