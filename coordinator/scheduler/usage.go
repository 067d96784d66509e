package scheduler

import (
	"math"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// DecayedUsage is each project's device use per kind, in device-seconds decayed
// with the half-life (0 = DefaultHalfLife): an attempt holding D devices over
// [s, e] (e = EndedAt, or now while it runs) adds the integral of D·2^(-(now-t)/h)
// over that span, which is D·h/ln2·(2^(-(now-e)/h) - 2^(-(now-s)/h)) in closed form.
// Attempts of unknown experiments are skipped. It is computed from the attempts on
// every call rather than kept as replicated state, so it needs no Raft entry and a
// new leader has it at once.
func DecayedUsage(attempts []*structs.Attempt, experiments map[string]*structs.Experiment, now time.Time, halfLife time.Duration) map[string]map[string]float64 {
	if halfLife <= 0 {
		halfLife = DefaultHalfLife
	}
	h := halfLife.Seconds()
	nowNS := now.UnixNano()
	out := map[string]map[string]float64{}
	for _, a := range attempts {
		e := experiments[a.ExperimentID]
		if e == nil || a.CreatedAt == 0 {
			continue
		}
		end := a.EndedAt
		if end == 0 || end > nowNS {
			end = nowNS
		}
		if end <= a.CreatedAt {
			continue
		}
		need := NeedOf(e)
		devices := float64(attemptDevices(a, need))
		ageEnd := float64(nowNS-end) / 1e9
		ageStart := float64(nowNS-a.CreatedAt) / 1e9
		v := devices * h / math.Ln2 * (math.Exp2(-ageEnd/h) - math.Exp2(-ageStart/h))
		p := ProjectOf(e)
		if out[p] == nil {
			out[p] = map[string]float64{}
		}
		out[p][need.Kind] += v
	}
	return out
}

// attemptDevices counts the devices an attempt holds: each rank's named devices, or
// the spec's count for a rank placed before ranks named them.
func attemptDevices(a *structs.Attempt, need Need) int {
	n := 0
	for _, r := range a.Ranks {
		if len(r.Devices) > 0 {
			n += len(r.Devices)
		} else {
			n += need.Devices
		}
	}
	return n
}
