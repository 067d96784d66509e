package ops

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/dxtrain/dxtrain/kernels"
)

func TestConvChunks(t *testing.T) {
	tests := []struct{ n, per, chunks, last int }{
		{1, 1, 1, 1}, {7, 1, 7, 1}, {8, 1, 8, 1}, {9, 2, 5, 1}, {13, 2, 7, 1}, {128, 16, 8, 16}, {130, 17, 8, 11},
	}
	for _, tt := range tests {
		ch := newConvChunks(kernels.Conv2D{N: tt.n, C: 1, H: 3, W: 3, K: 1, R: 1, S: 1, Stride: 1}, false)
		total := 0
		for _, g := range ch.geoms {
			total += g.N
		}
		if ch.per != tt.per || len(ch.geoms) != tt.chunks || ch.geoms[len(ch.geoms)-1].N != tt.last || total != tt.n {
			t.Errorf("batch %d: %d per chunk, %d chunks, last %d, %d in all; want %d, %d, %d, %d",
				tt.n, ch.per, len(ch.geoms), ch.geoms[len(ch.geoms)-1].N, total, tt.per, tt.chunks, tt.last, tt.n)
		}
	}
}

// TestConvThreadsBitIdentical runs a convolution's forward and backward on 1, 2 and 3
// threads, with a batch split into uneven chunks: the results must be bit-identical
// (validators replay training bit for bit) and match the reference.
func TestConvThreadsBitIdentical(t *testing.T) {
	t.Cleanup(func() { kernels.SetThreads(0) })
	c := kernels.Conv2D{N: 13, C: 3, H: 9, W: 7, K: 4, R: 3, S: 3, Stride: 1, Pad: 1}
	rng := rand.New(rand.NewPCG(8, 8))
	x, w, b := convRandom(rng, c.N*c.C*c.H*c.W), convRandom(rng, c.K*c.C*9), convRandom(rng, c.K)
	dy := convRandom(rng, c.N*c.K*c.OutH()*c.OutW())
	g := G.NewGraph()
	xn := convLeaf(g, "x", x, c.N, c.C, c.H, c.W)
	wn, bn := convLeaf(g, "w", w, c.K, c.C, 3, 3), convLeaf(g, "b", b, c.K)
	y, err := Conv2D(xn, wn, bn, c.Pad, c.Stride, true)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Backpropagate(G.Nodes{y}, G.Nodes{convLeaf(g, "dy", dy, y.Shape()...)}, G.Nodes{xn, wn, bn})
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	var first [][]float32
	for _, threads := range []int{1, 2, 3} {
		kernels.SetThreads(threads)
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		got := [][]float32{convValues(t, y)}
		for _, gr := range grads {
			got = append(got, convValues(t, gr))
		}
		if first == nil {
			first = got
			continue
		}
		for i := range got {
			if !slices.EqualFunc(got[i], first[i], func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
				t.Errorf("%d threads: result %d differs from 1 thread", threads, i)
			}
		}
	}
	wantY := convReferenceForward(t, c, x, w, b, true)
	masked := slices.Clone(dy)
	for i, v := range wantY {
		if v <= 0 {
			masked[i] = 0
		}
	}
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, len(b))
	if err := kernels.Conv2DBackwardReference(c, x, w, masked, dx, dw, db); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]float32{wantY, dx, dw, db} {
		if j := convClose(first[i], want, 1e-4); j >= 0 {
			t.Errorf("result %d: [%d] = %g, reference %g", i, j, first[i][j], want[j])
		}
	}
}
