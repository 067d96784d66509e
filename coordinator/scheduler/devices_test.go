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
			plans := Schedule(Input{Pending: []*structs.Experiment{tc.exp}, Nodes: tc.nodes})
			got := placed(plans)["e"]
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("placed on %v, want %v", got, tc.want)
			}
		})
	}
}
