package models

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestOpTimesCoverTheSteps: with timing on, every op of the step is timed in every step,
// the dense layers' times are positive and all add up to no more than the steps took;
// switched off, nothing is kept; either way the loss is the same.
func TestOpTimesCoverTheSteps(t *testing.T) {
	net, err := NewNetwork(Options{Architecture: "mlp", InputShape: []int{100}, Hidden: []int{64, 32}, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	const batch = 32
	run := func(timed bool) (float32, []OpTime, time.Duration) {
		gr, err := NewGraph(net, InitParams(net, 3), batch)
		if err != nil {
			t.Fatal(err)
		}
		defer gr.Close()
		if len(gr.OpTimes()) != 0 {
			t.Fatalf("op times before TimeOps: %v", gr.OpTimes())
		}
		gr.TimeOps(timed)
		b := randomBatch(rand.New(rand.NewPCG(4, 5)), net, batch)
		var loss float32
		start := time.Now()
		for range 3 {
			if loss, err = gr.Step(b); err != nil {
				t.Fatal(err)
			}
		}
		return loss, gr.OpTimes(), time.Since(start)
	}
	plain, none, _ := run(false)
	if len(none) != 0 {
		t.Errorf("timing off: %d op times", len(none))
	}
	loss, times, wall := run(true)
	if loss != plain {
		t.Errorf("loss %v with timing, %v without", loss, plain)
	}
	var sum time.Duration
	dense := 0
	for _, op := range times {
		if op.Steps != 3 || op.Total < 0 {
			t.Errorf("%s: %v over %d steps, want a time over 3", op.Op, op.Total, op.Steps)
		}
		if strings.HasPrefix(op.Op, "dxDense") {
			dense++
			if op.Total <= 0 {
				t.Errorf("%s: no time over 3 steps", op.Op)
			}
		}
		sum += op.Total
	}
	if dense != 3 {
		t.Errorf("%d dense ops timed, want 3: %v", dense, times)
	}
	if sum > wall {
		t.Errorf("ops took %v in all, more than the %v the steps took", sum, wall)
	}
}
