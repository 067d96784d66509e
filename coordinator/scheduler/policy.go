package scheduler

import (
	"math"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Policy holds the knobs of the scheduling policy; zero fields take their defaults.
type Policy struct {
	// HalfLife is the half-life of the decayed usage that orders projects (default
	// 24h): a day-old device-hour weighs half as much as one used now, so a project
	// that ran a lot yesterday is not punished for it for ever.
	HalfLife time.Duration
	// ProtectWindow and ProtectAfter: a run preempted ProtectAfter times within
	// ProtectWindow (defaults 1h and 2) is not preempted again, so that a run on
	// contended capacity still makes progress.
	ProtectWindow time.Duration
	ProtectAfter  int
	// MaxPreemptionTries bounds the pending experiments one pass looks for victims
	// for (default 8): each look sorts the running attempts, and a pass with
	// thousands of pending experiments that cannot preempt must stay cheap.
	MaxPreemptionTries int
}

// DefaultHalfLife is Policy.HalfLife when it is zero.
const DefaultHalfLife = 24 * time.Hour

func (p Policy) withDefaults() Policy {
	if p.HalfLife <= 0 {
		p.HalfLife = DefaultHalfLife
	}
	if p.ProtectWindow <= 0 {
		p.ProtectWindow = time.Hour
	}
	if p.ProtectAfter <= 0 {
		p.ProtectAfter = 2
	}
	if p.MaxPreemptionTries <= 0 {
		p.MaxPreemptionTries = 8
	}
	return p
}

// chargeHorizon is how many seconds of decayed usage one device held now counts
// for when projects are ordered: the usage it adds to the decayed total if it is
// held on (the integral of 2^(-t/h), h/ln 2). Without it a project that was just
// given half the cluster would look as idle as before until its usage caught up,
// and would be served first again on the next pass.
func (p Policy) chargeHorizon() float64 {
	return p.HalfLife.Seconds() / math.Ln2
}

// ProjectOf is the project an experiment is charged to.
func ProjectOf(e *structs.Experiment) string {
	if e.Spec.Project == "" {
		return structs.DefaultProject
	}
	return e.Spec.Project
}

// ClassOf is an experiment's priority class.
func ClassOf(e *structs.Experiment) string {
	if e.Spec.Priority == "" {
		return structs.DefaultPriority
	}
	return e.Spec.Priority
}

// protected reports whether a run has been preempted often enough lately to be
// left alone: ProtectAfter preemptions within ProtectWindow of now.
func (p Policy) protected(e *structs.Experiment, now int64) bool {
	since := now - int64(p.ProtectWindow)
	n := 0
	for i := len(e.Preemptions) - 1; i >= 0; i-- {
		if e.Preemptions[i] >= since {
			n++
		}
	}
	return n >= p.ProtectAfter
}
