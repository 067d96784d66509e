package models

import (
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/kernels"
)

// OptimizerConfig chooses and tunes the optimizer.
type OptimizerConfig struct {
	Name        string  // "sgd" (with momentum) or "adam"
	Momentum    float64 // sgd
	Beta1       float64 // adam
	Beta2       float64 // adam
	Epsilon     float64 // adam
	WeightDecay float64 // L2 penalty added to the gradient (both)
}

// Optimizer updates parameters in place from their gradients. Its state (momentum
// buffers, Adam moments, step count) is exposed as named tensors so checkpoints can
// save and restore it exactly: a resumed run continues bit for bit.
type Optimizer struct {
	cfg   OptimizerConfig
	steps int64
	// slots[s][i] is slot s (velocity; or Adam's m and v) of parameter i.
	slots [][]*Param
	// sgd and adam are the kernels' operand lists, reused from step to step.
	sgd  []kernels.SGDTensor
	adam []kernels.AdamTensor
}

// NewOptimizer allocates the optimizer's state for params, all zero.
func NewOptimizer(cfg OptimizerConfig, params []*Param) (*Optimizer, error) {
	var slotNames []string
	switch cfg.Name {
	case "sgd":
		slotNames = []string{"velocity"}
	case "adam":
		slotNames = []string{"m", "v"}
	default:
		return nil, fmt.Errorf("optimizer %q: want sgd or adam", cfg.Name)
	}
	o := &Optimizer{cfg: cfg}
	for _, slot := range slotNames {
		var state []*Param
		for _, p := range params {
			state = append(state, &Param{
				Name:  stateName(cfg.Name, slot, p.Name),
				Shape: append([]int(nil), p.Shape...),
				Data:  make([]float32, p.Size()),
			})
		}
		o.slots = append(o.slots, state)
	}
	return o, nil
}

// stateName names slot of parameter param's optimizer state, as checkpoints store it.
func stateName(optimizer, slot, param string) string {
	return "optimizer." + optimizer + "." + slot + "." + param
}

// StateParam is the parameter an optimizer state tensor of that name belongs to, and
// whether the name is one (see stateName).
func StateParam(name string) (string, bool) {
	parts := strings.SplitN(name, ".", 4)
	if len(parts) != 4 || parts[0] != "optimizer" {
		return "", false
	}
	return parts[3], true
}

// Steps is the number of updates taken so far.
func (o *Optimizer) Steps() int64 { return o.steps }

// State returns the optimizer's state tensors (shared, not copied), in a stable order.
func (o *Optimizer) State() []*Param {
	var all []*Param
	for _, slot := range o.slots {
		all = append(all, slot...)
	}
	return all
}

// Restore sets the step count and copies saved state tensors in by name; every state
// tensor must be present with the right size.
func (o *Optimizer) Restore(steps int64, saved map[string][]float32) error {
	for _, p := range o.State() {
		data, ok := saved[p.Name]
		if !ok {
			return fmt.Errorf("optimizer state %s missing", p.Name)
		}
		if len(data) != len(p.Data) {
			return fmt.Errorf("optimizer state %s has %d values, want %d", p.Name, len(data), len(p.Data))
		}
		copy(p.Data, data)
	}
	o.steps = steps
	return nil
}

// Step applies one update with learning rate lr to every parameter, through the kernels
// package's vector versions, as one parallel operation over all of them: the bits are
// those of the plain scalar loop (kernels.AdamReference, kernels.SGDMomentumReference) on
// every CPU. A parameter whose gradient length differs from its size is a programming
// error and panics.
func (o *Optimizer) Step(params []*Param, lr float64) {
	o.steps++
	for i, p := range params {
		if len(p.Grad) != len(p.Data) || len(p.Data) != len(o.slots[0][i].Data) {
			panic(fmt.Errorf("optimizer step %d, parameter %s: %d values, %d gradients, %d in its state", o.steps, p.Name, len(p.Data), len(p.Grad), len(o.slots[0][i].Data)))
		}
	}
	var err error
	switch o.cfg.Name {
	case "sgd":
		h := kernels.SGDHyper{LR: float32(lr), Momentum: float32(o.cfg.Momentum), WeightDecay: float32(o.cfg.WeightDecay)}
		o.sgd = o.sgd[:0]
		for i, p := range params {
			o.sgd = append(o.sgd, kernels.SGDTensor{Params: p.Data, Grads: p.Grad, Velocity: o.slots[0][i].Data})
		}
		err = kernels.SGDMomentumSteps(o.sgd, h)
	case "adam":
		h := kernels.NewAdamHyper(lr, o.cfg.Beta1, o.cfg.Beta2, o.cfg.Epsilon, o.cfg.WeightDecay, o.steps)
		o.adam = o.adam[:0]
		for i, p := range params {
			o.adam = append(o.adam, kernels.AdamTensor{Params: p.Data, Grads: p.Grad, M: o.slots[0][i].Data, V: o.slots[1][i].Data})
		}
		err = kernels.AdamSteps(o.adam, h)
	}
	if err != nil {
		panic(fmt.Errorf("optimizer step %d: %w", o.steps, err))
	}
}
