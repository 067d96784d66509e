package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestOptimizerEpilogueMatchesSeparateStep checks an SGEMM whose epilogue steps the
// optimizer against the same SGEMM followed by the optimizer's own pass (SGDMomentumSteps,
// AdamSteps), bit for bit, for weight-gradient shapes on every thread count and cut that
// keeps whole rows: parameters, state and the gradient left in C.
func TestOptimizerEpilogueMatchesSeparateStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	sgd := SGDHyper{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
	adam := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 1e-4, 3)
	for _, shape := range [][3]int{{256, 784, 128}, {128, 256, 128}, {10, 128, 128}, {3, 5, 7}, {64, 33, 40}, {1, 30, 16}} {
		m, n, k := shape[0], shape[1], shape[2]
		dz, x := randomSigned(rng, k*m), randomSigned(rng, k*n) // dW = dZᵀ·X, as Dense's backward
		p0, s0, s1 := randomSigned(rng, m*n), randomSigned(rng, m*n), randomSigned(rng, m*n)
		for i := range s1 {
			s1[i] = float32(math.Abs(float64(s1[i]))) // Adam's second moment is never negative
		}
		for _, kind := range []string{"sgd", "adam"} {
			wantG := make([]float32, m*n)
			wantP, wantS0, wantS1 := slices.Clone(p0), slices.Clone(s0), slices.Clone(s1)
			sgemmThreads(1, CutAuto, true, false, m, n, k, 1, dz, m, x, n, 0, wantG, n, nil)
			var err error
			if kind == "sgd" {
				err = SGDMomentumStep(wantP, wantG, wantS0, sgd)
			} else {
				err = AdamStep(wantP, wantG, wantS0, wantS1, adam)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, threads := range []int{1, 2, 3} {
				for _, cut := range []Cut{CutRows, CutAuto} {
					if cut == CutAuto && m*n*k >= minParallelWork && threads > 1 {
						continue // the automatic cut may take columns
					}
					g := make([]float32, m*n)
					p, st0, st1 := slices.Clone(p0), slices.Clone(s0), slices.Clone(s1)
					var ep OptimizerEpilogue
					if kind == "sgd" {
						err = ep.ArmSGD(p, st0, sgd)
					} else {
						err = ep.ArmAdam(p, st0, st1, adam)
					}
					if err != nil {
						t.Fatal(err)
					}
					sgemmThreads(threads, cut, true, false, m, n, k, 1, dz, m, x, n, 0, g, n, &ep)
					for _, arr := range []struct {
						name      string
						got, want []float32
					}{{"gradient", g, wantG}, {"parameter", p, wantP}, {"state 0", st0, wantS0}, {"state 1", st1, wantS1}} {
						for i := range arr.want {
							if math.Float32bits(arr.got[i]) != math.Float32bits(arr.want[i]) {
								t.Fatalf("%s %d×%d×%d, %d threads, cut %d: %s element %d is %v, want %v", kind, m, n, k, threads, cut, arr.name, i, arr.got[i], arr.want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestOptimizerEpilogueUnarmedOrWrong: unarmed, the epilogue changes nothing; armed with
// state of another length, it says so; on a tile of part of the rows, it panics rather
// than update the wrong elements.
func TestOptimizerEpilogueUnarmedOrWrong(t *testing.T) {
	var ep OptimizerEpilogue
	p := []float32{1, 2, 3, 4}
	ep.Apply([]float32{5, 6, 7, 8}, 2, 0, 2, 0, 2)
	if !slices.Equal(p, []float32{1, 2, 3, 4}) || ep.Armed() {
		t.Fatalf("unarmed epilogue changed %v", p)
	}
	if err := ep.ArmSGD(p, make([]float32, 3), SGDHyper{LR: 1}); err == nil || ep.Armed() {
		t.Fatalf("velocity of 3 values for 4 parameters: err %v, armed %t", err, ep.Armed())
	}
	if err := ep.ArmAdam(p, make([]float32, 4), make([]float32, 5), NewAdamHyper(1, 0.9, 0.99, 1e-8, 0, 1)); err == nil {
		t.Fatal("second moment of 5 values for 4 parameters: no error")
	}
	if err := ep.ArmSGD(p, make([]float32, 4), SGDHyper{LR: 1}); err != nil || !ep.Armed() {
		t.Fatalf("arm: %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "whole rows") {
			t.Fatalf("tile of one column: recovered %v, want a panic about whole rows", r)
		}
	}()
	ep.Apply([]float32{5, 6, 7, 8}, 2, 0, 2, 0, 1)
}
