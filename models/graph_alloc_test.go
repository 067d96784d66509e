package models

import (
	"math/rand/v2"
	"testing"
)

// TestStepAllocations: once warm, a dense network's training step (forward, backward,
// gradients copied out, Adam) allocates nothing; the CNN allocates only the goroutines
// that share its convolutions' chunks.
func TestStepAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled values: allocation counts mean nothing")
	}
	for _, tc := range []struct {
		name string
		opts Options
		max  float64
	}{
		{"mlp", Options{Architecture: "mlp", InputShape: []int{100}, Hidden: []int{64, 32}, Classes: 10}, 0},
		{"logreg", Options{Architecture: "logreg", InputShape: []int{30}, Classes: 2}, 0},
		{"cnn", Options{Architecture: "cnn", InputShape: []int{1, 12, 12}, Hidden: []int{16}, Classes: 3}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			params := InitParams(net, 3)
			const batch = 32
			gr, err := NewGraph(net, params, batch)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			opt, err := NewOptimizer(OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
			if err != nil {
				t.Fatal(err)
			}
			b := randomBatch(rand.New(rand.NewPCG(4, 5)), net, batch)
			step := func() {
				if _, err := gr.Step(b); err != nil {
					t.Fatal(err)
				}
				opt.Step(params, 0.001)
			}
			step() // warm the kernels' buffers
			if got := testing.AllocsPerRun(50, step); got > tc.max {
				t.Fatalf("%.0f allocations per step, want at most %.0f", got, tc.max)
			}
		})
	}
}
