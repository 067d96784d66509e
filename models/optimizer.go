package models

import (
	"fmt"
	"math"
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
				Name:  "optimizer." + cfg.Name + "." + slot + "." + p.Name,
				Shape: append([]int(nil), p.Shape...),
				Data:  make([]float32, p.Size()),
			})
		}
		o.slots = append(o.slots, state)
	}
	return o, nil
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

// Step applies one update with learning rate lr to every parameter.
func (o *Optimizer) Step(params []*Param, lr float64) {
	o.steps++
	wd := float32(o.cfg.WeightDecay)
	switch o.cfg.Name {
	case "sgd":
		mu, rate := float32(o.cfg.Momentum), float32(lr)
		for i, p := range params {
			vel := o.slots[0][i].Data
			for j, g := range p.Grad {
				g += wd * p.Data[j]
				vel[j] = mu*vel[j] + g
				p.Data[j] -= rate * vel[j]
			}
		}
	case "adam":
		b1, b2, eps := float32(o.cfg.Beta1), float32(o.cfg.Beta2), float32(o.cfg.Epsilon)
		// Bias corrections in float64 from the integer step count: exact and the same
		// on every machine.
		c1 := float32(1 - math.Pow(o.cfg.Beta1, float64(o.steps)))
		c2 := float32(1 - math.Pow(o.cfg.Beta2, float64(o.steps)))
		rate := float32(lr)
		for i, p := range params {
			m, v := o.slots[0][i].Data, o.slots[1][i].Data
			for j, g := range p.Grad {
				g += wd * p.Data[j]
				m[j] = b1*m[j] + (1-b1)*g
				v[j] = b2*v[j] + (1-b2)*g*g
				mHat, vHat := m[j]/c1, v[j]/c2
				p.Data[j] -= rate * mHat / (float32(math.Sqrt(float64(vHat))) + eps)
			}
		}
	}
}
