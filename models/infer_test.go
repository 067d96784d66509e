package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInferRowsIndependent checks that a sample's probabilities are bit for bit the
// same whichever chunk it is evaluated in: across InferChunk boundaries, alone, and
// with an input that is left unchanged.
func TestInferRowsIndependent(t *testing.T) {
	cases := append(graphCases[:len(graphCases):len(graphCases)], struct {
		name string
		opts Options
	}{"cnn-28", Options{Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{16}, Classes: 10}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			params := InitParams(net, 3)
			n := InferChunk + 3
			b := randomBatch(rand.New(rand.NewPCG(4, 5)), net, n)
			x := append([]float32(nil), b.X...)
			all, err := Infer(net, params, x, n)
			if err != nil {
				t.Fatal(err)
			}
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(b.X[i]) {
					t.Fatalf("Infer changed its input at %d", i)
				}
			}
			in, outs := net.InputSize(), len(all)/n
			for _, r := range []int{0, 1, InferChunk - 1, InferChunk, n - 1} {
				one, err := Infer(net, params, x[r*in:(r+1)*in], 1)
				if err != nil {
					t.Fatal(err)
				}
				for j, v := range one {
					if math.Float32bits(v) != math.Float32bits(all[r*outs+j]) {
						t.Fatalf("sample %d output %d: %g alone, %g among %d", r, j, v, all[r*outs+j], n)
					}
				}
			}
		})
	}
}
