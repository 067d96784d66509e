package trainer

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/device"
)

// healthReporter samples the node's devices for each heartbeat and remembers when each
// device first turned unhealthy, so the leader can date the fault and mark every
// checkpoint written since as suspect.
type healthReporter struct {
	devices device.Collector
	metrics *device.Metrics // nil: no Prometheus gauges

	mu        sync.Mutex
	faultSeen map[string]time.Time // device UUID → when the fault may have begun
	lastGood  map[string]time.Time // device UUID → last sample that was not unhealthy
	cordoned  map[string]bool      // devices the coordinator had cordoned when last asked
}

func newHealthReporter(c device.Collector, m *device.Metrics) *healthReporter {
	return &healthReporter{devices: c, metrics: m, faultSeen: map[string]time.Time{}, lastGood: map[string]time.Time{}, cordoned: map[string]bool{}}
}

// statuses samples every device. A collector that cannot sample at all reports nothing
// (the heartbeat still proves the node alive); the error is returned for the log.
func (h *healthReporter) statuses(ctx context.Context) ([]structs.DeviceStatus, error) {
	// A healthy sample vouches for the device only up to when sampling began: a fault
	// that struck while it ran may not show in it.
	sampledFrom := time.Now()
	samples, err := h.devices.Sample(ctx)
	if err != nil {
		return nil, err
	}
	if h.metrics != nil {
		h.metrics.Observe(samples)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	out := make([]structs.DeviceStatus, 0, len(samples))
	for _, s := range samples {
		st := structs.DeviceStatus{ID: s.UUID, Health: string(s.Health.State), Reasons: s.Health.Reasons,
			Reading: reading(s)}
		if s.Health.State == device.Unhealthy {
			first, ok := h.faultSeen[s.UUID]
			if !ok {
				// The fault happened after the last good sample, perhaps just after it:
				// date it from there, so every checkpoint written since is suspect.
				first = now
				if good, seen := h.lastGood[s.UUID]; seen {
					first = good
				}
				h.faultSeen[s.UUID] = first
			}
			st.UnhealthyForMS = ceilMilliseconds(now.Sub(first))
		} else {
			delete(h.faultSeen, s.UUID)
			h.lastGood[s.UUID] = sampledFrom
		}
		out = append(out, st)
	}
	return out, nil
}

// ceilMilliseconds rounds d up to whole milliseconds, at least one: rounding down would
// date a fault up to a millisecond late, and a checkpoint in that millisecond would pass
// as clean.
func ceilMilliseconds(d time.Duration) int64 {
	return int64(max((d+time.Millisecond-1)/time.Millisecond, 1))
}

// faulty reports whether any device is currently unhealthy here.
func (h *healthReporter) faulty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.faultSeen) > 0
}

// reconcile forgets a fatal fault once an operator has uncordoned the device on the
// coordinator (the repair): without it the collector's sticky verdict would cordon the
// device again at the next heartbeat.
func (h *healthReporter) reconcile(node *structs.Node) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range node.Devices {
		if h.cordoned[d.ID] && !d.Cordoned {
			if err := h.devices.ResetHealth(d.ID); err == nil {
				delete(h.faultSeen, d.ID)
			}
		}
		h.cordoned[d.ID] = d.Cordoned
	}
}

// unhealthy returns the first of ids that is unhealthy here now.
func (h *healthReporter) unhealthy(ids []string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if _, bad := h.faultSeen[id]; bad {
			return id, true
		}
	}
	return "", false
}

// reading is a sample's gauges for the heartbeat. A CPU has no utilisation counter
// that NVML would give: its one-minute load over its cores stands in.
func reading(s device.Sample) *structs.DeviceReading {
	r := &structs.DeviceReading{UtilizationPct: s.UtilizationGPU, MemoryUsedBytes: s.MemoryUsedBytes,
		MemoryTotalBytes: s.MemoryTotalBytes, TemperatureC: s.TemperatureC, PowerWatts: s.PowerWatts}
	if s.Kind == device.DeviceCPU {
		r.UtilizationPct = min(int(math.Round(100*s.LoadAverage1/float64(runtime.NumCPU()))), 100)
	}
	return r
}
