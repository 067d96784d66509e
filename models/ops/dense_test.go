package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// denseCase is a one- or two-layer network with a cross-entropy head, evaluated by the
// ops through a tape machine and by a float64 reference written out by hand.
type denseCase struct {
	name                string
	batch, in, hid, out int
	relu                bool
	head                Head
	xShape              tensor.Shape
}

func randomFloats(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((rng.Float64()*2 - 1) * scale)
	}
	return v
}

// targets makes one-hot (softmax) or 0/1 (sigmoid) targets and weights summing to 1
// with one padding row of weight 0.
func targets(rng *rand.Rand, batch, outputs int, head Head) (y, w []float32) {
	y = make([]float32, batch*outputs)
	w = make([]float32, batch)
	for i := range batch {
		if head == SigmoidHead {
			y[i] = float32(rng.IntN(2))
		} else {
			y[i*outputs+rng.IntN(outputs)] = 1
		}
		if i != batch-1 || batch == 1 {
			w[i] = 1 / float32(max(batch-1, 1))
		}
	}
	return y, w
}

// refLoss is the float64 reference: hidden = act(x·W1ᵀ + b1), z = hidden·W2ᵀ + b2, loss,
// with each W stored [out, in].
func refLoss(c denseCase, x, w1, b1, w2, b2, y, w []float64) float64 {
	hidden := make([]float64, c.batch*c.hid)
	for i := range c.batch {
		for j := range c.hid {
			s := b1[j]
			for k := range c.in {
				s += x[i*c.in+k] * w1[j*c.in+k]
			}
			if c.relu && s < 0 {
				s = 0
			}
			hidden[i*c.hid+j] = s
		}
	}
	var total float64
	for i := range c.batch {
		z := make([]float64, c.out)
		for j := range c.out {
			s := b2[j]
			for k := range c.hid {
				s += hidden[i*c.hid+k] * w2[j*c.hid+k]
			}
			z[j] = s
		}
		var l float64
		if c.head == SigmoidHead {
			l = math.Max(z[0], 0) - z[0]*y[i] + math.Log1p(math.Exp(-math.Abs(z[0])))
		} else {
			m := z[0]
			for _, v := range z {
				m = math.Max(m, v)
			}
			var s float64
			for _, v := range z {
				s += math.Exp(v - m)
			}
			for j, v := range z {
				l -= y[i*c.out+j] * (v - m - math.Log(s))
			}
		}
		total += w[i] * l
	}
	return total
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

func TestDenseAndCrossEntropyGradients(t *testing.T) {
	cases := []denseCase{
		{name: "relu softmax", batch: 7, in: 13, hid: 9, out: 4, relu: true, head: SoftmaxHead},
		{name: "linear sigmoid", batch: 5, in: 3, hid: 6, out: 1, relu: false, head: SigmoidHead},
		{name: "tiny", batch: 1, in: 1, hid: 1, out: 2, relu: true, head: SoftmaxHead},
		{name: "flattened 4-D input", batch: 3, in: 2 * 3 * 4, hid: 5, out: 3, relu: true, head: SoftmaxHead, xShape: tensor.Shape{3, 2, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(c.batch*1000+c.in)))
			xv := randomFloats(rng, c.batch*c.in, 1)
			w1 := randomFloats(rng, c.in*c.hid, 0.8)
			b1 := randomFloats(rng, c.hid, 0.3)
			w2 := randomFloats(rng, c.hid*c.out, 0.8)
			b2 := randomFloats(rng, c.out, 0.3)
			y, w := targets(rng, c.batch, c.out, c.head)

			g := G.NewGraph()
			xShape := c.xShape
			if xShape == nil {
				xShape = tensor.Shape{c.batch, c.in}
			}
			leaf := func(name string, data []float32, shape ...int) *G.Node {
				v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
				return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
			}
			x := leaf("x", xv, xShape...)
			W1, B1 := leaf("w1", w1, c.hid, c.in), leaf("b1", b1, c.hid)
			W2, B2 := leaf("w2", w2, c.out, c.hid), leaf("b2", b2, c.out)
			Y, Wt := leaf("y", y, c.batch, c.out), leaf("w", w, c.batch, 1)
			h, err := Dense(x, W1, B1, c.relu, true)
			if err != nil {
				t.Fatal(err)
			}
			z, err := Dense(h, W2, B2, false, true)
			if err != nil {
				t.Fatal(err)
			}
			loss, err := CrossEntropy(c.head, z, Y, Wt)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := G.Grad(loss, x, W1, B1, W2, B2)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			// Run twice: buffers owned by the ops must not carry anything across runs.
			for run := range 2 {
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				if run == 0 {
					vm.Reset()
				}
			}
			ref := func() float64 {
				return refLoss(c, to64(xv), to64(w1), to64(b1), to64(w2), to64(b2), to64(y), to64(w))
			}
			if got, want := float64(loss.Value().Data().(float32)), ref(); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("loss %v, reference %v", got, want)
			}
			for i, p := range [][]float32{xv, w1, b1, w2, b2} {
				got := grads[i].Value().Data().([]float32)
				if len(got) != len(p) {
					t.Fatalf("gradient %d has %d values, want %d", i, len(got), len(p))
				}
				for j := range p {
					numeric := centralDifference(p, j, ref)
					if math.Abs(float64(got[j])-numeric) > 2e-3*(1+math.Abs(numeric)) {
						t.Fatalf("gradient %d[%d] = %v, finite difference %v", i, j, got[j], numeric)
					}
				}
			}
		})
	}
}

// centralDifference perturbs p[j] by ±h in float32 and differentiates f numerically.
func centralDifference(p []float32, j int, f func() float64) float64 {
	const h = 1e-3
	orig := p[j]
	p[j] = orig + h
	up := f()
	p[j] = orig - h
	down := f()
	p[j] = orig
	return (up - down) / (float64(orig+h) - float64(orig-h))
}
