package models

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStep is one training step (forward, backward, Adam) of the reference
// networks at batch 128: the unit the throughput benchmark multiplies.
func BenchmarkStep(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"mlp", Options{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{256, 128}, Classes: 10}},
		{"cnn", Options{Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{128}, Classes: 10}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			params := InitParams(net, 1)
			const batch = 128
			gr, err := NewGraph(net, params, batch)
			if err != nil {
				b.Fatal(err)
			}
			defer gr.Close()
			opt, err := NewOptimizer(OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
			if err != nil {
				b.Fatal(err)
			}
			data := randomBatch(rand.New(rand.NewPCG(1, 2)), net, batch)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gr.Step(data); err != nil {
					b.Fatal(err)
				}
				opt.Step(params, 0.001)
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
