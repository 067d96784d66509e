package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/kernels"
)

// TestStepUpdateMatchesStepThenOptimizer: StepUpdate leaves the parameters, the optimizer
// state, the gradients and the loss exactly as Step followed by Optimizer.Step does, for
// every architecture, both optimizers and one or two threads, over several steps.
func TestStepUpdateMatchesStepThenOptimizer(t *testing.T) {
	nets := []Options{
		{Architecture: "mlp", InputShape: []int{100}, Hidden: []int{64, 32}, Classes: 10},
		{Architecture: "logreg", InputShape: []int{30}, Classes: 2},
		{Architecture: "cnn", InputShape: []int{1, 12, 12}, Hidden: []int{16}, Classes: 3},
	}
	configs := []OptimizerConfig{
		{Name: "sgd", Momentum: 0.9, WeightDecay: 1e-4},
		{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 1e-4},
	}
	defer kernels.SetThreads(0)
	for _, opts := range nets {
		net, err := NewNetwork(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, cfg := range configs {
			for _, threads := range []int{1, 2} {
				kernels.SetThreads(threads)
				const batch, steps = 32, 4
				rng := rand.New(rand.NewPCG(7, 8))
				batches := make([]Batch, steps)
				for i := range batches {
					batches[i] = randomBatch(rng, net, batch)
				}
				train := func(fused bool) (*Graph, *Optimizer, []float32) {
					gr, err := NewGraph(net, InitParams(net, 5), batch)
					if err != nil {
						t.Fatal(err)
					}
					opt, err := NewOptimizer(cfg, gr.Params())
					if err != nil {
						t.Fatal(err)
					}
					var losses []float32
					for i, b := range batches {
						lr := 0.05 / float64(i+1)
						var loss float32
						if fused {
							loss, err = gr.StepUpdate(b, opt, lr)
						} else if loss, err = gr.Step(b); err == nil {
							opt.Step(gr.Params(), lr)
						}
						if err != nil {
							t.Fatal(err)
						}
						losses = append(losses, loss)
					}
					return gr, opt, losses
				}
				wantG, wantO, wantLoss := train(false)
				gotG, gotO, gotLoss := train(true)
				name := opts.Architecture + " " + cfg.Name + " " + string(rune('0'+threads)) + " threads"
				// Every dense weight is: the MLP's three, logreg's one, the CNN's two.
				if want := map[string]int{"mlp": 3, "logreg": 1, "cnn": 2}[opts.Architecture]; len(gotG.updates) != want {
					t.Errorf("%s: %d parameters updated inside their gradients' products, want %d", name, len(gotG.updates), want)
				}
				sameBits(t, name+": loss", gotLoss, wantLoss)
				for i, p := range wantG.Params() {
					sameBits(t, name+": "+p.Name, gotG.Params()[i].Data, p.Data)
					sameBits(t, name+": gradient of "+p.Name, gotG.Params()[i].Grad, p.Grad)
				}
				for s := range wantO.slots {
					for i, st := range wantO.slots[s] {
						sameBits(t, name+": "+st.Name, gotO.slots[s][i].Data, st.Data)
					}
				}
				if gotO.Steps() != wantO.Steps() {
					t.Errorf("%s: %d optimizer steps, want %d", name, gotO.Steps(), wantO.Steps())
				}
				wantG.Close()
				gotG.Close()
			}
		}
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestStepUpdateRefusesAnotherOptimizer: an optimizer made for other parameters, or a
// batch of the wrong size, is an error before anything changes.
func TestStepUpdateRefusesAnotherOptimizer(t *testing.T) {
	net, err := NewNetwork(Options{Architecture: "mlp", InputShape: []int{20}, Hidden: []int{8}, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewNetwork(Options{Architecture: "mlp", InputShape: []int{20}, Hidden: []int{9}, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	gr, err := NewGraph(net, InitParams(net, 1), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	before := append([]float32(nil), gr.Params()[0].Data...)
	wrong, err := NewOptimizer(OptimizerConfig{Name: "sgd", Momentum: 0.9}, InitParams(other, 1))
	if err != nil {
		t.Fatal(err)
	}
	b := randomBatch(rand.New(rand.NewPCG(1, 1)), net, 4)
	if _, err := gr.StepUpdate(b, wrong, 0.1); err == nil || !strings.Contains(err.Error(), "optimizer state") {
		t.Errorf("optimizer for other parameters: err %v", err)
	}
	right, err := NewOptimizer(OptimizerConfig{Name: "sgd", Momentum: 0.9}, gr.Params())
	if err != nil {
		t.Fatal(err)
	}
	b.Labels = b.Labels[:3]
	if _, err := gr.StepUpdate(b, right, 0.1); err == nil {
		t.Error("batch of 3 labels for a graph of 4: no error")
	}
	if right.Steps() != 0 || wrong.Steps() != 0 {
		t.Errorf("refused steps counted: %d, %d", right.Steps(), wrong.Steps())
	}
	sameBits(t, "parameters after refused steps", gr.Params()[0].Data, before)
}
