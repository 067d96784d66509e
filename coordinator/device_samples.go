package coordinator

import (
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// samplesPerDevice bounds each device's readings: at the default heartbeat interval
// this is several minutes of history, enough for the console's sparklines.
const samplesPerDevice = 180

// deviceSamples is the leader's soft state of device gauges, like heartbeats: the
// recent readings each node's heartbeats carried. Never replicated; a new leader
// starts empty and fills within a few heartbeats.
type deviceSamples struct {
	mu    sync.Mutex
	nodes map[string]map[string][]structs.DeviceSample // node → device → ring, oldest first
}

func newDeviceSamples() *deviceSamples {
	return &deviceSamples{nodes: map[string]map[string][]structs.DeviceSample{}}
}

func (d *deviceSamples) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nodes = map[string]map[string][]structs.DeviceSample{}
}

// record appends one heartbeat's readings, dropping the oldest beyond the bound.
func (d *deviceSamples) record(node string, now time.Time, devs []structs.DeviceStatus) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.nodes[node]
	if m == nil {
		m = map[string][]structs.DeviceSample{}
		d.nodes[node] = m
	}
	for _, dev := range devs {
		if dev.Reading == nil {
			continue
		}
		ring := append(m[dev.ID], structs.DeviceSample{Time: now.UnixMilli(), DeviceReading: *dev.Reading})
		if len(ring) > samplesPerDevice {
			ring = append(ring[:0:0], ring[len(ring)-samplesPerDevice:]...)
		}
		m[dev.ID] = ring
	}
}

// of returns a copy of a node's readings.
func (d *deviceSamples) of(node string) structs.NodeSamples {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := structs.NodeSamples{NodeID: node, Devices: map[string][]structs.DeviceSample{}}
	for dev, ring := range d.nodes[node] {
		out.Devices[dev] = append([]structs.DeviceSample(nil), ring...)
	}
	return out
}
