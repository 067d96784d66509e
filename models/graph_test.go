package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func randomBatch(rng *rand.Rand, net Network, batch int) Batch {
	b := Batch{X: make([]float32, batch*net.InputSize()), Labels: make([]int32, batch), Weights: make([]float32, batch)}
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	for i := range b.Labels {
		b.Labels[i] = int32(rng.IntN(net.Classes))
		b.Weights[i] = 1 / float32(batch)
	}
	return b
}

var graphCases = []struct {
	name string
	opts Options
}{
	{"logreg", Options{Architecture: "logreg", InputShape: []int{5}, Classes: 2}},
	{"mlp-binary", Options{Architecture: "mlp", InputShape: []int{6}, Hidden: []int{8, 4}, Classes: 2}},
	{"mlp-multiclass", Options{Architecture: "mlp", InputShape: []int{6}, Hidden: []int{7}, Classes: 4}},
	{"cnn", Options{Architecture: "cnn", InputShape: []int{1, 8, 8}, Hidden: []int{6}, Classes: 3}},
	{"mlp-on-images", Options{Architecture: "mlp", InputShape: []int{2, 4, 4}, Hidden: []int{5}, Classes: 3}},
	{"logreg-on-images", Options{Architecture: "logreg", InputShape: []int{1, 3, 3}, Classes: 2}},
}

// TestGraphLossMatchesInfer checks the gorgonia forward pass and loss against the
// plain-Go forward pass, including padding rows of weight zero.
func TestGraphLossMatchesInfer(t *testing.T) {
	for _, tc := range graphCases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			params := InitParams(net, 7)
			gr, err := NewGraph(net, params, 3)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			b := randomBatch(rand.New(rand.NewPCG(1, 2)), net, 3)
			b.Weights = []float32{0.25, 0.75, 0}
			loss, err := gr.Step(b)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceLoss(t, net, params, b)
			if d := math.Abs(float64(loss) - want); d > 1e-5*math.Max(1, want) {
				t.Fatalf("graph loss %g, plain-Go loss %g", loss, want)
			}
		})
	}
}

// TestGraphGradients checks every parameter's gradient against central finite
// differences of the loss, computed in float64 from the plain-Go forward pass.
func TestGraphGradients(t *testing.T) {
	for _, tc := range graphCases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := NewNetwork(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			params := InitParams(net, 11)
			const batch = 4
			gr, err := NewGraph(net, params, batch)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			b := randomBatch(rand.New(rand.NewPCG(3, 4)), net, batch)
			b.Weights[batch-1] = 0 // a padding row must not contribute
			b.Weights[0] = 2.0 / batch
			if _, err := gr.Step(b); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			for _, p := range params {
				for probe := 0; probe < 4; probe++ {
					i := rng.IntN(len(p.Data))
					orig := p.Data[i]
					const h = 1e-3
					p.Data[i] = orig + h
					up := referenceLoss(t, net, params, b)
					p.Data[i] = orig - h
					down := referenceLoss(t, net, params, b)
					p.Data[i] = orig
					numeric := (up - down) / (2 * h)
					got := float64(p.Grad[i])
					if math.Abs(numeric-got) > 2e-3+2e-2*math.Abs(numeric) {
						t.Errorf("%s[%d]: gradient %g, finite difference %g", p.Name, i, got, numeric)
					}
				}
			}
		})
	}
}

// TestGraphSeesParameterUpdates proves the graph reads Param.Data in place, which the
// optimizer relies on.
func TestGraphSeesParameterUpdates(t *testing.T) {
	net, _ := NewNetwork(Options{Architecture: "logreg", InputShape: []int{3}, Classes: 2})
	params := InitParams(net, 1)
	gr, err := NewGraph(net, params, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	b := randomBatch(rand.New(rand.NewPCG(1, 1)), net, 2)
	before, _ := gr.Step(b)
	params[1].Data[0] += 1 // the bias
	after, _ := gr.Step(b)
	want := referenceLoss(t, net, params, b)
	if before == after || math.Abs(float64(after)-want) > 1e-5 {
		t.Fatalf("loss %g before and %g after a bias change; plain Go says %g", before, after, want)
	}
}

func referenceLoss(t *testing.T, net Network, params []*Param, b Batch) float64 {
	t.Helper()
	n := len(b.Labels)
	probs, err := Infer(net, params, b.X, n)
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for i, label := range b.Labels {
		var p float64
		if net.Head == HeadSigmoid {
			p = float64(probs[i])
			if label == 0 {
				p = 1 - p
			}
		} else {
			p = float64(probs[i*net.Classes+int(label)])
		}
		loss -= float64(b.Weights[i]) * math.Log(p)
	}
	return loss
}

// TestGraphGradientsDoNotAccumulate: two steps on the same batch with the same
// parameters give the same gradients (gorgonia accumulates unless told otherwise).
func TestGraphGradientsDoNotAccumulate(t *testing.T) {
	net, _ := NewNetwork(Options{Architecture: "mlp", InputShape: []int{3}, Hidden: []int{4}, Classes: 2})
	params := InitParams(net, 1)
	gr, err := NewGraph(net, params, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	b := randomBatch(rand.New(rand.NewPCG(1, 1)), net, 2)
	if _, err := gr.Step(b); err != nil {
		t.Fatal(err)
	}
	first := append([]float32(nil), params[0].Grad...)
	if _, err := gr.Step(b); err != nil {
		t.Fatal(err)
	}
	for i, g := range params[0].Grad {
		if g != first[i] {
			t.Fatalf("gradient %d: %g on the first step, %g on the second", i, first[i], g)
		}
	}
}

// TestGraphReadsBatchInPlace checks that the reference networks read each batch's inputs
// from the caller's slice, keep no reference to it after a step, and train exactly as a
// graph that copies the batch does.
func TestGraphReadsBatchInPlace(t *testing.T) {
	for _, opts := range []Options{
		{Architecture: "logreg", InputShape: []int{30}, Classes: 2},
		{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{64, 32}, Classes: 10},
		{Architecture: "cnn", InputShape: []int{1, 12, 12}, Hidden: []int{16}, Classes: 3},
	} {
		t.Run(opts.Architecture, func(t *testing.T) {
			net, err := NewNetwork(opts)
			if err != nil {
				t.Fatal(err)
			}
			inPlace, copied := InitParams(net, 3), InitParams(net, 3)
			gIn, err := NewGraph(net, inPlace, 8)
			if err != nil {
				t.Fatal(err)
			}
			gCopy, err := NewGraph(net, copied, 8)
			if err != nil {
				t.Fatal(err)
			}
			if gIn.input == nil {
				t.Fatal("the graph copies its input; want it read in place")
			}
			if err := gCopy.exec.bind(gCopy.x, gCopy.xT); err != nil {
				t.Fatal(err)
			}
			gCopy.input = nil
			rng := rand.New(rand.NewPCG(5, 6))
			for step := range 3 {
				b := randomBatch(rng, net, 8)
				before := append([]float32(nil), b.X...)
				lossIn, err := gIn.Step(b)
				if err != nil {
					t.Fatal(err)
				}
				if gIn.input.Data().([]float32) != nil {
					t.Fatalf("step %d: the graph still holds the batch after the step", step)
				}
				if !slices.Equal(before, b.X) {
					t.Fatalf("step %d: the step wrote into the caller's batch", step)
				}
				lossCopy, err := gCopy.Step(b)
				if err != nil {
					t.Fatal(err)
				}
				if math.Float32bits(lossIn) != math.Float32bits(lossCopy) {
					t.Fatalf("step %d: loss %v in place, %v copied", step, lossIn, lossCopy)
				}
				for i := range inPlace {
					if !slices.Equal(inPlace[i].Grad, copied[i].Grad) {
						t.Fatalf("step %d: gradient of %s differs between in place and copied", step, inPlace[i].Name)
					}
				}
			}
		})
	}
}

// TestDenseReLUMaskedInProduct checks that a stack of dense ReLU layers has no separate
// ReLU backward pass: each mask runs in the epilogue of the product above it.
func TestDenseReLUMaskedInProduct(t *testing.T) {
	net, err := NewNetwork(Options{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{256, 128}, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := NewGraph(net, InitParams(net, 1), 4)
	if err != nil {
		t.Fatal(err)
	}
	masked := 0
	for _, st := range gr.exec.steps {
		name := st.op.String()
		if strings.HasPrefix(name, "dxActivation") {
			t.Errorf("the backward runs %s as a pass of its own", name)
		}
		if strings.Contains(name, "relu mask=true") {
			masked++
		}
	}
	if masked != 2 {
		t.Errorf("%d products masked by a ReLU, want 2 (one per hidden layer)", masked)
	}
}
