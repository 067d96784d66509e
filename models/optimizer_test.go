package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestOptimizerMatchesHandComputed checks one and two steps of each optimizer against
// values worked out by hand (PyTorch's update rules).
func TestOptimizerMatchesHandComputed(t *testing.T) {
	cases := []struct {
		name string
		cfg  OptimizerConfig
		want []float64 // parameter after step 1 and step 2, gradient 0.5 both times, lr 0.1, start 1
	}{
		// v1 = 0.5, p = 1 − 0.05 = 0.95; v2 = 0.9·0.5 + 0.5 = 0.95, p = 0.95 − 0.095 = 0.855
		{"sgd", OptimizerConfig{Name: "sgd", Momentum: 0.9}, []float64{0.95, 0.855}},
		// Adam's first steps move by lr·sign(g) (bias-corrected m/√v = 1 for a constant g)
		{"adam", OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, []float64{0.9, 0.8}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &Param{Name: "w", Shape: []int{1}, Data: []float32{1}, Grad: []float32{0.5}}
			o, err := NewOptimizer(tc.cfg, []*Param{p})
			if err != nil {
				t.Fatal(err)
			}
			for step, want := range tc.want {
				o.Step([]*Param{p}, 0.1)
				if math.Abs(float64(p.Data[0])-want) > 1e-5 {
					t.Fatalf("after step %d: %g, want %g", step+1, p.Data[0], want)
				}
			}
			if o.Steps() != 2 {
				t.Fatalf("steps = %d", o.Steps())
			}
		})
	}
}

// TestOptimizerRestoreContinuesExactly: saving the state after k steps and restoring it
// into a fresh optimizer continues with identical bits.
func TestOptimizerRestoreContinuesExactly(t *testing.T) {
	for _, name := range []string{"sgd", "adam"} {
		t.Run(name, func(t *testing.T) {
			cfg := OptimizerConfig{Name: name, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
			grads := [][]float32{{0.3, -1}, {0.1, 0.7}, {-0.4, 0.2}, {0.9, -0.3}}
			run := func(p *Param, o *Optimizer, from, to int) {
				for s := from; s < to; s++ {
					copy(p.Grad, grads[s])
					o.Step([]*Param{p}, 0.05)
				}
			}
			a := &Param{Name: "w", Shape: []int{2}, Data: []float32{1, 2}, Grad: make([]float32, 2)}
			oa, _ := NewOptimizer(cfg, []*Param{a})
			run(a, oa, 0, 4)

			b := &Param{Name: "w", Shape: []int{2}, Data: []float32{1, 2}, Grad: make([]float32, 2)}
			ob, _ := NewOptimizer(cfg, []*Param{b})
			run(b, ob, 0, 2)
			saved := map[string][]float32{}
			for _, s := range ob.State() {
				saved[s.Name] = append([]float32(nil), s.Data...)
			}
			c := &Param{Name: "w", Shape: []int{2}, Data: append([]float32(nil), b.Data...), Grad: make([]float32, 2)}
			oc, _ := NewOptimizer(cfg, []*Param{c})
			if err := oc.Restore(ob.Steps(), saved); err != nil {
				t.Fatal(err)
			}
			run(c, oc, 2, 4)
			for i := range a.Data {
				if math.Float32bits(a.Data[i]) != math.Float32bits(c.Data[i]) {
					t.Fatalf("value %d: uninterrupted %g, resumed %g", i, a.Data[i], c.Data[i])
				}
			}
			delete(saved, oc.State()[0].Name)
			if err := oc.Restore(2, saved); err == nil {
				t.Fatal("restore with a missing tensor succeeded")
			}
		})
	}
}

func TestParamCountMatchesInitParams(t *testing.T) {
	for _, o := range []Options{
		{Architecture: "logreg", InputShape: []int{30}, Classes: 2},
		{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{256, 128}, Classes: 10},
		{Architecture: "cnn", InputShape: []int{1, 28, 28}, Classes: 10},
	} {
		net, err := NewNetwork(o)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, p := range InitParams(net, 0) {
			want += p.Size()
		}
		if got := net.ParamCount(); got != want {
			t.Errorf("%s: ParamCount %d, parameters hold %d values", o.Architecture, got, want)
		}
	}
}

// TestOptimizerStepMatchesScalarLoop: Step (the kernels' vector versions) gives the bits of
// the scalar loop Step used to run, kept here verbatim but for float32(…) around products,
// which stops the compiler from fusing them into FMAs (on amd64 v1, where the old code
// ran, it compiles to the same instructions). Several parameters, lengths that are not
// multiples of the vector width, five steps, with and without weight decay.
func TestOptimizerStepMatchesScalarLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  OptimizerConfig
	}{
		{"sgd", OptimizerConfig{Name: "sgd", Momentum: 0.9}},
		{"sgd_decay", OptimizerConfig{Name: "sgd", Momentum: 0.9, WeightDecay: 5e-4}},
		{"adam", OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}},
		{"adam_decay", OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 1e-2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 5))
			var params, old []*Param
			for i, n := range []int{1000, 17, 7, 70000} {
				p := &Param{Name: string(rune('a' + i)), Shape: []int{n}, Data: make([]float32, n), Grad: make([]float32, n)}
				for j := range p.Data {
					p.Data[j] = float32(rng.NormFloat64())
				}
				params = append(params, p)
				old = append(old, &Param{Name: p.Name, Shape: p.Shape, Data: slices.Clone(p.Data), Grad: p.Grad})
			}
			o, err := NewOptimizer(tc.cfg, params)
			if err != nil {
				t.Fatal(err)
			}
			slots := make([][][]float32, len(o.slots))
			for s := range slots {
				for _, st := range o.slots[s] {
					slots[s] = append(slots[s], make([]float32, len(st.Data)))
				}
			}
			for step := int64(1); step <= 5; step++ {
				for _, p := range params {
					for j := range p.Grad {
						p.Grad[j] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-4)))
					}
				}
				o.Step(params, 0.01)
				scalarStep(tc.cfg, step, old, slots, 0.01)
				for i, p := range params {
					for j := range p.Data {
						if math.Float32bits(p.Data[j]) != math.Float32bits(old[i].Data[j]) {
							t.Fatalf("step %d, %s[%d]: Step %g, scalar loop %g", step, p.Name, j, p.Data[j], old[i].Data[j])
						}
					}
					for s := range slots {
						if !slices.Equal(o.slots[s][i].Data, slots[s][i]) {
							t.Fatalf("step %d, %s: optimizer state %d differs from the scalar loop's", step, p.Name, s)
						}
					}
				}
			}
		})
	}
}

// scalarStep is the Optimizer.Step of before the kernels package took it over.
func scalarStep(cfg OptimizerConfig, steps int64, params []*Param, slots [][][]float32, lr float64) {
	wd := float32(cfg.WeightDecay)
	switch cfg.Name {
	case "sgd":
		mu, rate := float32(cfg.Momentum), float32(lr)
		for i, p := range params {
			vel := slots[0][i]
			for j, g := range p.Grad {
				g += float32(wd * p.Data[j])
				vel[j] = float32(mu*vel[j]) + g
				p.Data[j] -= float32(rate * vel[j])
			}
		}
	case "adam":
		b1, b2, eps := float32(cfg.Beta1), float32(cfg.Beta2), float32(cfg.Epsilon)
		c1 := float32(1 - math.Pow(cfg.Beta1, float64(steps)))
		c2 := float32(1 - math.Pow(cfg.Beta2, float64(steps)))
		rate := float32(lr)
		for i, p := range params {
			m, v := slots[0][i], slots[1][i]
			for j, g := range p.Grad {
				g += float32(wd * p.Data[j])
				m[j] = float32(b1*m[j]) + float32((1-b1)*g)
				v[j] = float32(b2*v[j]) + float32(float32((1-b2)*g)*g)
				mHat, vHat := m[j]/c1, v[j]/c2
				p.Data[j] -= float32(rate*mHat) / (float32(math.Sqrt(float64(vHat))) + eps)
			}
		}
	}
}

// TestOptimizerStepNamesBadParameter: a parameter whose gradient does not match its size
// is a programming error; the panic names the parameter, and nothing is updated.
func TestOptimizerStepNamesBadParameter(t *testing.T) {
	for _, name := range []string{"sgd", "adam"} {
		t.Run(name, func(t *testing.T) {
			good := &Param{Name: "dense0.weight", Shape: []int{2}, Data: []float32{1, 2}, Grad: []float32{1, 1}}
			bad := &Param{Name: "dense0.bias", Shape: []int{2}, Data: []float32{3, 4}, Grad: []float32{1, 1}}
			opt, err := NewOptimizer(OptimizerConfig{Name: name, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, []*Param{good, bad})
			if err != nil {
				t.Fatal(err)
			}
			bad.Grad = bad.Grad[:1]
			defer func() {
				r := recover()
				if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "parameter dense0.bias") {
					t.Fatalf("panic %v, want an error naming dense0.bias", r)
				}
				if good.Data[0] != 1 || bad.Data[0] != 3 {
					t.Fatalf("parameters changed by a refused step: %v %v", good.Data, bad.Data)
				}
			}()
			opt.Step([]*Param{good, bad}, 0.1)
		})
	}
}

// TestStateParamNamesTheParameter: every state tensor an optimizer makes maps back to its
// parameter (checkpoint upgrades find a weight's moments this way), and other names do not.
func TestStateParamNamesTheParameter(t *testing.T) {
	params := []*Param{{Name: "dense0.weight", Shape: []int{1}}, {Name: "conv1.bias", Shape: []int{1}}}
	for _, name := range []string{"sgd", "adam"} {
		opt, err := NewOptimizer(OptimizerConfig{Name: name}, params)
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range opt.State() {
			want := params[i%len(params)].Name
			if got, ok := StateParam(st.Name); !ok || got != want {
				t.Errorf("%s: StateParam(%q) = %q, %v; want %q", name, st.Name, got, ok, want)
			}
		}
	}
	for _, name := range []string{"dense0.weight", "optimizer.adam.m", "moments.adam.m.dense0.weight"} {
		if p, ok := StateParam(name); ok {
			t.Errorf("StateParam(%q) = %q, true; want false", name, p)
		}
	}
}
