package trainer

import (
	"context"
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
	faultSeen map[string]time.Time // device UUID → first unhealthy sample
}

func newHealthReporter(c device.Collector, m *device.Metrics) *healthReporter {
	return &healthReporter{devices: c, metrics: m, faultSeen: map[string]time.Time{}}
}

// statuses samples every device. A collector that cannot sample at all reports nothing
// (the heartbeat still proves the node alive); the error is returned for the log.
func (h *healthReporter) statuses(ctx context.Context) ([]structs.DeviceStatus, error) {
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
		st := structs.DeviceStatus{ID: s.UUID, Health: string(s.Health.State), Reasons: s.Health.Reasons}
		if s.Health.State == device.Unhealthy {
			first, ok := h.faultSeen[s.UUID]
			if !ok {
				first = now
				h.faultSeen[s.UUID] = now
			}
			st.UnhealthyForMS = max(now.Sub(first).Milliseconds(), 1)
		} else {
			delete(h.faultSeen, s.UUID)
		}
		out = append(out, st)
	}
	return out, nil
}
