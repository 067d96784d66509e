package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dxtrain/dxtrain/kernels"
)

// TestStepIsBitIdenticalAcrossThreadCounts: a training step's loss and gradients do not
// depend on how many goroutines the kernels use, which replay on another machine needs.
func TestStepIsBitIdenticalAcrossThreadCounts(t *testing.T) {
	defer kernels.SetThreads(0)
	// Sizes large enough that SGEMM splits its output between goroutines.
	cases := append(graphCases[:len(graphCases):len(graphCases)],
		struct {
			name string
			opts Options
		}{"mlp-wide", Options{Architecture: "mlp", InputShape: []int{300}, Hidden: []int{200, 70}, Classes: 10}},
		struct {
			name string
			opts Options
		}{"cnn-16x16", Options{Architecture: "cnn", InputShape: []int{2, 16, 16}, Hidden: []int{40}, Classes: 3}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			const batch = 37
			var want []float32
			for _, threads := range []int{1, 2, 3, 7} {
				kernels.SetThreads(threads)
				params := InitParams(net, 5)
				gr, err := NewGraph(net, params, batch)
				if err != nil {
					t.Fatal(err)
				}
				loss, err := gr.Step(randomBatch(rand.New(rand.NewPCG(8, 9)), net, batch))
				gr.Close()
				if err != nil {
					t.Fatal(err)
				}
				got := []float32{loss}
				for _, p := range params {
					got = append(got, p.Grad...)
				}
				if want == nil {
					want = got
					continue
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%d threads: value %d is %v, with 1 thread %v", threads, i, got[i], want[i])
					}
				}
			}
		})
	}
}
