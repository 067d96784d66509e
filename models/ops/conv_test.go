package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// convCases are the convolution shapes the tests cover: tiny, odd, strided, a kernel as
// large as the padded input, non-square kernels and the CNN's first layer.
var convCases = []kernels.Conv2D{
	{N: 1, C: 1, H: 1, W: 1, K: 1, R: 1, S: 1, Stride: 1, Pad: 0},
	{N: 2, C: 3, H: 7, W: 13, K: 5, R: 3, S: 3, Stride: 1, Pad: 1},
	{N: 3, C: 2, H: 9, W: 8, K: 4, R: 3, S: 2, Stride: 2, Pad: 1},
	{N: 1, C: 4, H: 5, W: 5, K: 2, R: 5, S: 5, Stride: 1, Pad: 2},
	{N: 2, C: 1, H: 28, W: 28, K: 3, R: 3, S: 3, Stride: 1, Pad: 1},
	{N: 2, C: 2, H: 6, W: 7, K: 3, R: 2, S: 3, Stride: 3, Pad: 0},
}

func convCaseName(c kernels.Conv2D) string {
	return fmt.Sprintf("x%dx%dx%dx%d_w%dx%dx%d_s%d_p%d", c.N, c.C, c.H, c.W, c.K, c.R, c.S, c.Stride, c.Pad)
}

// convRandom returns n values drawn uniformly from ±[0.05, 1): random, never zero.
func convRandom(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		m := 0.05 + 0.95*rng.Float64()
		if rng.IntN(2) == 0 {
			m = -m
		}
		v[i] = float32(m)
	}
	return v
}

// convLeaf is a float32 input node whose value is backed by data, so that a test can
// change the values in place between runs, as models.Graph does.
func convLeaf(g *G.ExprGraph, name string, data []float32, shape ...int) *G.Node {
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

// convValues copies out a node's float32 values.
func convValues(t *testing.T, n *G.Node) []float32 {
	t.Helper()
	if n.Value() == nil {
		t.Fatalf("node %v has no value", n)
	}
	d, ok := n.Value().Data().([]float32)
	if !ok {
		t.Fatalf("node %v holds %T, want []float32", n, n.Value().Data())
	}
	return append([]float32(nil), d...)
}

// convClose reports the first index where got and want differ by more than
// tol·(1 + |want|), or -1.
func convClose(got, want []float32, tol float64) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
			return i
		}
	}
	return -1
}

func convReferenceForward(t *testing.T, c kernels.Conv2D, x, w, b []float32, relu bool) []float32 {
	t.Helper()
	y := make([]float32, c.N*c.K*c.OutH()*c.OutW())
	if err := kernels.Conv2DForwardReference(c, x, w, b, y); err != nil {
		t.Fatal(err)
	}
	if relu {
		for i, v := range y {
			y[i] = max(v, 0)
		}
	}
	return y
}

func TestConv2DForward(t *testing.T) {
	for i, c := range convCases {
		for _, relu := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_relu=%t", convCaseName(c), relu), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 1))
				x := convRandom(rng, c.N*c.C*c.H*c.W)
				w := convRandom(rng, c.K*c.C*c.R*c.S)
				b := convRandom(rng, c.K)
				g := G.NewGraph()
				xn := convLeaf(g, "x", x, c.N, c.C, c.H, c.W)
				wn := convLeaf(g, "w", w, c.K, c.C, c.R, c.S)
				bn := convLeaf(g, "b", b, 1, c.K, 1, 1)
				y, err := Conv2D(xn, wn, bn, c.Pad, c.Stride, relu)
				if err != nil {
					t.Fatal(err)
				}
				if want := (tensor.Shape{c.N, c.K, c.OutH(), c.OutW()}); !y.Shape().Eq(want) {
					t.Fatalf("shape %v, want %v", y.Shape(), want)
				}
				vm := G.NewTapeMachine(g)
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				want := convReferenceForward(t, c, x, w, b, relu)
				if j := convClose(convValues(t, y), want, 1e-5); j >= 0 {
					t.Fatalf("y[%d] = %g, reference %g", j, convValues(t, y)[j], want[j])
				}
			})
		}
	}
}

func TestConv2DRejectsBadShapes(t *testing.T) {
	g := G.NewGraph()
	x := convLeaf(g, "x", make([]float32, 2*3*5*5), 2, 3, 5, 5)
	tests := []struct {
		name        string
		w, b        *G.Node
		pad, stride int
	}{
		{"channels differ", convLeaf(g, "w1", make([]float32, 4*2*3*3), 4, 2, 3, 3), convLeaf(g, "b1", make([]float32, 4), 4), 1, 1},
		{"bias size", convLeaf(g, "w2", make([]float32, 4*3*3*3), 4, 3, 3, 3), convLeaf(g, "b2", make([]float32, 3), 3), 1, 1},
		{"kernel larger than input", convLeaf(g, "w3", make([]float32, 4*3*7*7), 4, 3, 7, 7), convLeaf(g, "b3", make([]float32, 4), 4), 0, 1},
		{"zero stride", convLeaf(g, "w4", make([]float32, 4*3*3*3), 4, 3, 3, 3), convLeaf(g, "b4", make([]float32, 4), 4), 1, 0},
		{"weights not 4-D", convLeaf(g, "w5", make([]float32, 4*27), 4, 27), convLeaf(g, "b5", make([]float32, 4), 4), 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Conv2D(x, tt.w, tt.b, tt.pad, tt.stride, true); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestConvOpHashesDiffer guards gorgonia's node deduplication: two ops of different
// geometry must not hash alike, or one node would stand for both.
func TestConvOpHashesDiffer(t *testing.T) {
	seen := map[uint32]string{}
	for _, c := range convCases {
		for _, relu := range []bool{false, true} {
			op := &conv2DOp{geom: c, relu: relu, bShape: tensor.Shape{c.K}}
			if prev, ok := seen[op.Hashcode()]; ok {
				t.Fatalf("%v and %s hash alike", op, prev)
			}
			seen[op.Hashcode()] = op.String()
			grad := &conv2DGradOp{fwd: op}
			for _, o := range []G.Op{grad, &convGradPartOp{src: grad, part: convGradBias}, &convGradPartOp{src: grad, part: convGradInput}} {
				if prev, ok := seen[o.Hashcode()]; ok {
					t.Fatalf("%v and %s hash alike", o, prev)
				}
				seen[o.Hashcode()] = o.String()
			}
		}
	}
}
