package models

import (
	"fmt"
	"time"
)

// OpTime is the wall time one op of a compiled graph took, summed over the steps run
// since TimeOps switched timing on. Ops run one after another on the calling goroutine,
// each using every thread inside, so the times of a step's ops add up to the step: unlike
// a CPU profile, which sorts the threads' time by kernel, this says which layer a step
// waits for, hand-offs and cache misses between the threads included.
type OpTime struct {
	Op    string // the op, as it prints: its kind and shapes
	Total time.Duration
	Steps int
}

// TimeOps switches the timing of each op on (from zero) or off. It costs two clock reads
// an op; off, Step reads no clock.
func (gr *Graph) TimeOps(on bool) {
	gr.exec.elapsed, gr.exec.timedRuns = nil, 0
	if on {
		gr.exec.elapsed = make([]time.Duration, len(gr.exec.steps))
	}
}

// OpTimes returns the time of each op, in the order a step runs them, since TimeOps(true).
func (gr *Graph) OpTimes() []OpTime {
	e := gr.exec
	out := make([]OpTime, len(e.elapsed))
	for i, d := range e.elapsed {
		out[i] = OpTime{Op: fmt.Sprint(e.steps[i].op), Total: d, Steps: e.timedRuns}
	}
	return out
}
