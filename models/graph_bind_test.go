package models

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradientsLandInParamsWithoutCopy checks that every gradient op of the reference
// architectures writes straight into its Param's Grad, and that a Grad replaced after the
// graph was built still receives the same gradient (through the copy).
func TestGradientsLandInParamsWithoutCopy(t *testing.T) {
	for _, tc := range graphCases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			params := InitParams(net, 3)
			const batch = 5
			gr, err := NewGraph(net, params, batch)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			b := randomBatch(rand.New(rand.NewPCG(3, 4)), net, batch)
			if _, err := gr.Step(b); err != nil {
				t.Fatal(err)
			}
			for i, slot := range gr.gradSlots {
				g := valueFloats(t, gr.exec.values[slot])
				if !sameArray(g, gr.boundTo[i].Grad) {
					t.Errorf("gradient of %s is computed into its own buffer and copied", gr.boundTo[i].Name)
				}
			}
			want := make([][]float32, len(params))
			for i, p := range params {
				want[i] = append([]float32(nil), p.Grad...)
				p.Grad = make([]float32, len(p.Grad)) // no longer the bound array
			}
			if _, err := gr.Step(b); err != nil {
				t.Fatal(err)
			}
			for i, p := range params {
				for j, g := range p.Grad {
					if math.Float32bits(g) != math.Float32bits(want[i][j]) {
						t.Fatalf("%s[%d] = %g after Grad was replaced, %g before", p.Name, j, g, want[i][j])
					}
				}
			}
		})
	}
}

func valueFloats(t *testing.T, v G.Value) []float32 {
	t.Helper()
	d, ok := v.(*tensor.Dense)
	if !ok {
		t.Fatalf("value is %T, want a dense tensor", v)
	}
	return d.Float32s()
}
