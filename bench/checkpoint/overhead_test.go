package main

import (
	"math"
	"os"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	runs := []stepRun{
		{label: "none", meanStep: 100 * ms},
		{label: "disk", meanStep: 103 * ms, checkpoints: 1, ratio: 0.03, cpuStep: 4 * ms, cpuRatio: 0.02},
		{label: "none", meanStep: 100 * ms},
		{label: "disk", meanStep: 150 * ms, checkpoints: 1, ratio: 0.5, cpuStep: 6 * ms, cpuRatio: 0.04}, // a burst of other load
		{label: "none", meanStep: 110 * ms},
		{label: "disk", meanStep: 107 * ms, checkpoints: 1, ratio: 0.01, cpuStep: 5 * ms, cpuRatio: 0.01},
		{label: "none", meanStep: 110 * ms},
	}
	got := summarize(runs)
	base, _ := baseline(runs)
	if len(got) != 2 || got[0].label != "none" || got[1].label != "disk" {
		t.Fatalf("summaries %+v, want none then disk", got)
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"none runs", float64(got[0].runs), 4},
		{"none mean ms", float64(got[0].meanStep) / float64(ms), 105},
		{"disk checkpoints", float64(got[1].checkpoints), 3},
		{"disk mean ms", float64(got[1].meanStep) / float64(ms), 120},
		{"disk median ratio", got[1].medianRatio, 0.03},
		{"disk mean CPU ms", float64(got[1].cpuStep) / float64(ms), 5},
		{"disk median CPU ratio", got[1].medianCPU, 0.02},
		{"baseline ms", float64(base) / float64(ms), 105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-9 {
				t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
			}
		})
	}
}

// TestCPUClock: the clock advances with work done by this process.
func TestCPUClock(t *testing.T) {
	c := cpuClock{minioPID: os.Getpid()} // counts this process twice: both sources work
	t0 := c.now()
	deadline := time.Now().Add(10 * time.Second)
	x := 0.0
	for c.now()-t0 < 40*time.Millisecond {
		for i := range 100000 {
			x += math.Sqrt(float64(i))
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU clock advanced only %v in 10 s of spinning (x=%v)", c.now()-t0, x)
		}
	}
	if procCPU(-1) != 0 {
		t.Error("procCPU of a missing process is not 0")
	}
}
