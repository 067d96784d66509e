package kernels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// multiTensorSizes are tensor lists as models have them: the reference MLP's parameters
// (with its 10-element bias, smaller than one share's 16-element boundary), sizes around
// a chunk, an empty tensor, and a list too small to split.
var multiTensorSizes = [][]int{
	{200704, 256, 32768, 128, 1280, 10},
	{0, 1, 17, 16384, 16385, 70001, 15, 3},
	{5, 9},
}

// TestOptimizerStepsMatchReference: updating a list of tensors as one parallel operation
// updates every element of every tensor exactly once, as the reference does, on any
// number of threads (an element updated twice, or not at all, differs in its bits).
func TestOptimizerStepsMatchReference(t *testing.T) {
	defer SetThreads(0)
	for _, sizes := range multiTensorSizes {
		for _, threads := range []int{1, 2, 3, 5} {
			t.Run(fmt.Sprintf("%v/%d threads", sizes, threads), func(t *testing.T) {
				SetThreads(threads)
				rng := rand.New(rand.NewPCG(3, uint64(threads)))
				draw := optimValues[0].draw
				var adam, adamRef []AdamTensor
				var sgd, sgdRef []SGDTensor
				for _, n := range sizes {
					a := AdamTensor{drawSlice(rng, n, draw), drawSlice(rng, n, draw), drawSlice(rng, n, draw), drawSlice(rng, n, draw)}
					adam = append(adam, a)
					adamRef = append(adamRef, AdamTensor{slices.Clone(a.Params), a.Grads, slices.Clone(a.M), slices.Clone(a.V)})
					s := SGDTensor{drawSlice(rng, n, draw), drawSlice(rng, n, draw), drawSlice(rng, n, draw)}
					sgd = append(sgd, s)
					sgdRef = append(sgdRef, SGDTensor{slices.Clone(s.Params), s.Grads, slices.Clone(s.Velocity)})
				}
				ah := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 1e-2, 3)
				sh := SGDHyper{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
				if err := AdamSteps(adam, ah); err != nil {
					t.Fatal(err)
				}
				if err := SGDMomentumSteps(sgd, sh); err != nil {
					t.Fatal(err)
				}
				for i := range sizes {
					AdamReference(adamRef[i].Params, adamRef[i].Grads, adamRef[i].M, adamRef[i].V, ah)
					SGDMomentumReference(sgdRef[i].Params, sgdRef[i].Grads, sgdRef[i].Velocity, sh)
					sameBits(t, fmt.Sprintf("adam tensor %d params", i), adam[i].Params, adamRef[i].Params, false)
					sameBits(t, fmt.Sprintf("adam tensor %d v", i), adam[i].V, adamRef[i].V, false)
					sameBits(t, fmt.Sprintf("sgd tensor %d params", i), sgd[i].Params, sgdRef[i].Params, false)
					sameBits(t, fmt.Sprintf("sgd tensor %d velocity", i), sgd[i].Velocity, sgdRef[i].Velocity, false)
				}
			})
		}
	}
}

// TestSharesAlignWithRowCuts: on two threads each share of a tensor is one contiguous
// half, split on a whole cache line, so the rows a CutRows product gave a core come
// back to it (the MLP's first weight, 256 rows of 784, splits after row 128).
func TestSharesAlignWithRowCuts(t *testing.T) {
	for _, tc := range []struct{ n, s, shares, lo, hi int }{
		{200704, 0, 2, 0, 100352},
		{200704, 1, 2, 100352, 200704},
		{10, 0, 2, 0, 0},
		{10, 1, 2, 0, 10},
		{100, 1, 3, 32, 64},
		{100, 2, 3, 64, 100},
	} {
		if lo, hi := sliceOf(tc.n, tc.s, tc.shares); lo != tc.lo || hi != tc.hi {
			t.Errorf("share %d of %d over %d elements: [%d,%d), want [%d,%d)", tc.s, tc.shares, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestOptimizerStepsNameTheBadTensor: a tensor with mismatched operands is named by its
// index, and no tensor is updated.
func TestOptimizerStepsNameTheBadTensor(t *testing.T) {
	p, q := []float32{1, 2}, []float32{3, 4}
	ok := SGDTensor{p, []float32{1, 1}, []float32{0, 0}}
	bad := SGDTensor{q, []float32{1}, []float32{0, 0}}
	err := SGDMomentumSteps([]SGDTensor{ok, bad}, SGDHyper{LR: 1, Momentum: 0.9})
	if !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "tensor 1") {
		t.Fatalf("error %v, want ErrShape naming tensor 1", err)
	}
	if p[0] != 1 || q[0] != 3 {
		t.Fatalf("tensors changed by a refused update: %v %v", p, q)
	}
	err = AdamSteps([]AdamTensor{{q, q, q, []float32{0}}}, NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, 1))
	if !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "tensor 0") {
		t.Fatalf("error %v, want ErrShape naming tensor 0", err)
	}
}
