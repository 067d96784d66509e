package device

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// HealthState is how fit a device is for work.
type HealthState string

const (
	// Healthy devices take any work.
	Healthy HealthState = "healthy"
	// Degraded devices still work, but slower or with less monitoring (overheating,
	// throttling, a telemetry call failing); the scheduler prefers other devices.
	Degraded HealthState = "degraded"
	// Unhealthy devices must get no work; an attempt running on one fails, and the
	// checkpoints it committed since the fault are suspect.
	Unhealthy HealthState = "unhealthy"
)

// Health is a verdict with the reasons behind it, worst first.
type Health struct {
	State   HealthState `json:"state"`
	Reasons []string    `json:"reasons,omitempty"`
}

// faults are what went wrong while reading a device, beyond its readings.
type faults struct {
	// lost is set when the GPU is gone (fallen off the bus, needs a reset, disappeared).
	lost string
	// degraded lists NVML calls that failed in a way that hides part of the picture.
	degraded []string
}

// healthJudge turns readings into a Health, remembering fatal conditions per device until
// reset. The zero value is not usable; build it with newHealthJudge.
type healthJudge struct {
	th           Thresholds
	fatalXID     map[uint64]bool
	degradingXID map[uint64]bool
	degrading    map[string]bool
	now          func() time.Time

	mu sync.Mutex
	// sticky holds each device's fatal reasons keyed by condition ("xid_79", "ecc_dbe"),
	// so a repeated condition updates its reason instead of piling up copies.
	sticky map[string]map[string]string
	// lastDegrading is when each device last reported each degrading XID.
	lastDegrading map[string]map[uint64]time.Time
}

func newHealthJudge(th Thresholds) *healthJudge {
	j := &healthJudge{
		th:            th,
		fatalXID:      make(map[uint64]bool, len(th.FatalXIDs)),
		degradingXID:  make(map[uint64]bool, len(th.DegradingXIDs)),
		degrading:     make(map[string]bool, len(th.DegradingThrottleReasons)),
		now:           time.Now,
		sticky:        make(map[string]map[string]string),
		lastDegrading: make(map[string]map[uint64]time.Time),
	}
	for _, x := range th.FatalXIDs {
		j.fatalXID[x] = true
	}
	for _, x := range th.DegradingXIDs {
		j.degradingXID[x] = true
	}
	for _, r := range th.DegradingThrottleReasons {
		j.degrading[r] = true
	}
	return j
}

// judge returns s's health given the faults met while reading it, and records any new
// fatal condition so that later samples stay unhealthy.
func (j *healthJudge) judge(s *Sample, f faults) Health {
	j.mu.Lock()
	defer j.mu.Unlock()
	fatal := j.fatalConditions(s, f)
	if len(fatal) > 0 {
		if j.sticky[s.UUID] == nil {
			j.sticky[s.UUID] = make(map[string]string)
		}
		maps.Copy(j.sticky[s.UUID], fatal)
	}
	var unhealthy []string
	for _, key := range slices.Sorted(maps.Keys(j.sticky[s.UUID])) {
		unhealthy = append(unhealthy, j.sticky[s.UUID][key])
	}
	if s.TemperatureC >= j.th.CriticalTemperatureC {
		unhealthy = append(unhealthy, fmt.Sprintf("temperature %d C at or above the critical limit of %d C",
			s.TemperatureC, j.th.CriticalTemperatureC))
	}
	degraded := j.degradedConditions(s, f)
	switch {
	case len(unhealthy) > 0:
		return Health{State: Unhealthy, Reasons: append(unhealthy, degraded...)}
	case len(degraded) > 0:
		return Health{State: Degraded, Reasons: degraded}
	default:
		return Health{State: Healthy}
	}
}

// recentDegradingXIDs records s's degrading XIDs and lists those seen within
// RecoverAfter; older ones are forgotten, so the device recovers by itself.
func (j *healthJudge) recentDegradingXIDs(s *Sample) []string {
	now := j.now()
	seen := j.lastDegrading[s.UUID]
	for _, x := range s.XIDs {
		if j.degradingXID[x] {
			if seen == nil {
				seen = make(map[uint64]time.Time)
				j.lastDegrading[s.UUID] = seen
			}
			seen[x] = now
		}
	}
	var out []string
	for _, x := range slices.Sorted(maps.Keys(seen)) {
		if now.Sub(seen[x]) >= j.th.RecoverAfter {
			delete(seen, x)
			continue
		}
		reason := fmt.Sprintf("xid %d", x)
		if d, ok := xidDescriptions[x]; ok {
			reason += " (" + d + ")"
		}
		out = append(out, fmt.Sprintf("%s seen %s ago: degraded until none for %s", reason, now.Sub(seen[x]).Round(time.Second), j.th.RecoverAfter))
	}
	return out
}

// fatalConditions lists the sticky conditions present in this one reading.
func (j *healthJudge) fatalConditions(s *Sample, f faults) map[string]string {
	fatal := make(map[string]string)
	if f.lost != "" {
		fatal["lost"] = f.lost
	}
	if s.ECCDoubleBit > 0 {
		fatal["ecc_dbe"] = fmt.Sprintf("%d double-bit ecc errors since the driver loaded", s.ECCDoubleBit)
	}
	if s.RowRemapFailure {
		fatal["row_remap_failure"] = "row remapping failed: the gpu has memory it can no longer repair"
	}
	for _, x := range s.XIDs {
		if !j.fatalXID[x] {
			continue
		}
		reason := fmt.Sprintf("fatal xid %d", x)
		if d, ok := xidDescriptions[x]; ok {
			reason += " (" + d + ")"
		}
		fatal[fmt.Sprintf("xid_%05d", x)] = reason
	}
	return fatal
}

// degradedConditions lists the non-fatal problems in this one reading, and the
// degrading XIDs seen within RecoverAfter.
func (j *healthJudge) degradedConditions(s *Sample, f faults) []string {
	degraded := j.recentDegradingXIDs(s)
	if s.TemperatureC >= j.th.MaxTemperatureC && s.TemperatureC < j.th.CriticalTemperatureC {
		degraded = append(degraded, fmt.Sprintf("temperature %d C at or above the limit of %d C",
			s.TemperatureC, j.th.MaxTemperatureC))
	}
	var throttled []string
	for _, r := range s.ThrottleReasons {
		if j.degrading[r] {
			throttled = append(throttled, r)
		}
	}
	if len(throttled) > 0 {
		degraded = append(degraded, fmt.Sprintf("clocks throttled: %v", throttled))
	}
	if s.RetiredPagesPending {
		degraded = append(degraded, "retired pages pending: reset the gpu to retire them")
	}
	if s.RowRemapPending {
		degraded = append(degraded, "row remapping pending: reset the gpu to apply it")
	}
	return append(degraded, f.degraded...)
}

// reset forgets uuid's sticky conditions.
func (j *healthJudge) reset(uuid string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.sticky, uuid)
}
