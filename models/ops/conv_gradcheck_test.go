package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/dxtrain/dxtrain/kernels"
)

// fdLeaf is an input of a gradient check: its node and the slice backing its value.
type fdLeaf struct {
	name string
	node *G.Node
	data []float32
}

// fdCheck compares the gradients G.Grad builds for loss = Σ out·R (R random) with
// central differences of the same loss, evaluated by running the graph's forward pass on
// the tape machine and summing in float64, with steps of ±h. kinks returns the discrete state of the
// forward pass (ReLU signs, argmax); an element whose ±h runs change it straddles a kink
// of the piecewise-linear loss and is skipped; at least half of each leaf is checked.
func fdCheck(t *testing.T, g *G.ExprGraph, out *G.Node, leaves []fdLeaf, kinks func() []int32, h, tol float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	r := convRandom(rng, out.Shape().TotalSize())
	prod, err := G.HadamardProd(out, convLeaf(g, "R", r, out.Shape()...))
	if err != nil {
		t.Fatal(err)
	}
	loss, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	wrt := make(G.Nodes, len(leaves))
	for i, l := range leaves {
		wrt[i] = l.node
	}
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	run := func() float64 {
		t.Helper()
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		var sum float64
		for i, v := range out.Value().Data().([]float32) {
			sum += float64(v) * float64(r[i])
		}
		return sum
	}
	run()
	analytic := make([][]float32, len(leaves))
	for i := range leaves {
		analytic[i] = convValues(t, grads[i])
	}
	base := kinks()
	for i, l := range leaves {
		if len(analytic[i]) != len(l.data) {
			t.Fatalf("gradient of %s has %d values, want %d", l.name, len(analytic[i]), len(l.data))
		}
		checked := 0
		for j, v := range l.data {
			l.data[j] = v + float32(h)
			up := float64(l.data[j]) - float64(v)
			lp := run()
			kp := kinks()
			l.data[j] = v - float32(h)
			down := float64(v) - float64(l.data[j])
			lm := run()
			km := kinks()
			l.data[j] = v
			if !slices.Equal(kp, base) || !slices.Equal(km, base) {
				continue
			}
			checked++
			fd := (lp - lm) / (up + down)
			if a := float64(analytic[i][j]); !(math.Abs(a-fd) <= tol*(1+math.Abs(fd))) {
				t.Errorf("d loss/d %s[%d] = %g, central difference %g", l.name, j, a, fd)
			}
		}
		// A weight or a bias moves every output of its channel, so it meets kinks more
		// often than an input element; half of each leaf must still be checked.
		if checked == 0 || 2*checked < len(l.data) {
			t.Errorf("%s: %d of %d elements checked, the rest straddle kinks", l.name, checked, len(l.data))
		}
	}
}

// reluSigns is the kink state of a ReLU output: which elements are positive.
func reluSigns(n *G.Node) func() []int32 {
	return func() []int32 {
		y := n.Value().Data().([]float32)
		s := make([]int32, len(y))
		for i, v := range y {
			if v > 0 {
				s[i] = 1
			}
		}
		return s
	}
}

// poolArgmax is the kink state of a max-pool: the index each maximum came from.
func poolArgmax(n *G.Node) func() []int32 {
	return func() []int32 { return slices.Clone(n.Op().(*maxPool2x2Op).argmax) }
}

func TestConv2DGradient(t *testing.T) {
	cases := []convGradCase{
		{convCases[0], []int{1}},
		{convCases[1], []int{1, 5, 1, 1}},
		{convCases[2], []int{4}},
		{convCases[3], []int{1, 2, 1, 1}},
		{convCases[5], []int{3}},
	}
	for i, tc := range cases {
		c := tc.c
		for _, relu := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_relu=%t", convCaseName(c), relu), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 3))
				g := G.NewGraph()
				x := fdLeaf{name: "x", data: convRandom(rng, c.N*c.C*c.H*c.W)}
				w := fdLeaf{name: "w", data: convRandom(rng, c.K*c.C*c.R*c.S)}
				b := fdLeaf{name: "b", data: convRandom(rng, c.K)}
				x.node = convLeaf(g, "x", x.data, c.N, c.C, c.H, c.W)
				w.node = convLeaf(g, "w", w.data, c.K, c.C, c.R, c.S)
				b.node = convLeaf(g, "b", b.data, tc.bShape...)
				y, err := Conv2D(x.node, w.node, b.node, c.Pad, c.Stride, relu)
				if err != nil {
					t.Fatal(err)
				}
				kinks := func() []int32 { return nil }
				if relu {
					kinks = reluSigns(y)
				}
				fdCheck(t, g, y, []fdLeaf{x, w, b}, kinks, 2e-3, 2e-3)
			})
		}
	}
}

type convGradCase struct {
	c      kernels.Conv2D
	bShape []int
}

func TestMaxPool2x2Gradient(t *testing.T) {
	for i, s := range poolCases[:4] {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", s[0], s[1], s[2], s[3]), func(t *testing.T) {
			g := G.NewGraph()
			x := fdLeaf{name: "x", data: convRandom(rand.New(rand.NewPCG(uint64(i), 4)), s[0]*s[1]*s[2]*s[3])}
			x.node = convLeaf(g, "x", x.data, s[:]...)
			y, err := MaxPool2x2(x.node)
			if err != nil {
				t.Fatal(err)
			}
			fdCheck(t, g, y, []fdLeaf{x}, poolArgmax(y), 1e-4, 1e-3)
		})
	}
}

// TestConvPoolGradient checks a ReLU convolution followed by a max-pool, the CNN's block:
// dy reaches the convolution's backward through the pool's. The block is built both ways
// the graph may build it: a ReLU convolution and a pool, or Conv2DReLUPool.
func TestConvPoolGradient(t *testing.T) {
	for _, fused := range []bool{false, true} {
		t.Run(fmt.Sprintf("fused=%t", fused), func(t *testing.T) {
			c := convCases[2]
			c.Stride = 1
			rng := rand.New(rand.NewPCG(5, 5))
			g := G.NewGraph()
			x := fdLeaf{name: "x", data: convRandom(rng, c.N*c.C*c.H*c.W)}
			w := fdLeaf{name: "w", data: convRandom(rng, c.K*c.C*c.R*c.S)}
			b := fdLeaf{name: "b", data: convRandom(rng, c.K)}
			x.node = convLeaf(g, "x", x.data, c.N, c.C, c.H, c.W)
			w.node = convLeaf(g, "w", w.data, c.K, c.C, c.R, c.S)
			b.node = convLeaf(g, "b", b.data, c.K)
			if fused {
				p, err := Conv2DReLUPool(x.node, w.node, b.node, c.Pad, c.Stride)
				if err != nil {
					t.Fatal(err)
				}
				arg := func() []int32 { return append([]int32(nil), p.Op().(*conv2DOp).argmax...) }
				fdCheck(t, g, p, []fdLeaf{x, w, b}, arg, 2e-3, 2e-3)
				return
			}
			y, err := Conv2D(x.node, w.node, b.node, c.Pad, c.Stride, true)
			if err != nil {
				t.Fatal(err)
			}
			p, err := MaxPool2x2(y)
			if err != nil {
				t.Fatal(err)
			}
			signs, arg := reluSigns(y), poolArgmax(p)
			fdCheck(t, g, p, []fdLeaf{x, w, b}, func() []int32 { return append(signs(), arg()...) }, 2e-3, 2e-3)
		})
	}
}
