package kernels

import (
	"fmt"
	"sync"
)

// SGDHyper is one SGD-with-momentum step's hyper-parameters in float32.
type SGDHyper struct {
	LR, Momentum, WeightDecay float32
}

// SGDMomentumStep applies one update of SGD with momentum (PyTorch's rule: dampening 0,
// no Nesterov) to params in place, updating velocity:
//
//	g += wd·p;  vel = μ·vel + g;  p −= lr·vel
//
// each operation rounded to float32 separately, no FMA: bit-identical to
// SGDMomentumReference on every CPU and version, whatever Threads() is.
func SGDMomentumStep(params, grads, velocity []float32, h SGDHyper) error {
	c := sgdCalls.Get().(*sgdCall)
	c.one[0] = SGDTensor{Params: params, Grads: grads, Velocity: velocity}
	_, err := c.run(c.one[:], h)
	c.one[0] = SGDTensor{}
	sgdCalls.Put(c)
	return err
}

// SGDTensor is one tensor's operands of an SGD-with-momentum update.
type SGDTensor struct {
	Params, Grads, Velocity []float32
}

// SGDMomentumSteps applies SGDMomentumStep to every tensor, as one parallel operation
// (see tensorUpdate). A tensor whose operands differ in length is an error naming its
// index, and then nothing is updated.
func SGDMomentumSteps(ts []SGDTensor, h SGDHyper) error {
	c := sgdCalls.Get().(*sgdCall)
	i, err := c.run(ts, h)
	sgdCalls.Put(c)
	if err != nil {
		return fmt.Errorf("tensor %d: %w", i, err)
	}
	return nil
}

// sgdCall is one SGD update shared by the goroutines working on it; pooled so that a
// step allocates nothing.
type sgdCall struct {
	ts       []SGDTensor
	h        SGDHyper
	one      [1]SGDTensor
	sizes    []int
	parallel tensorUpdate
}

var sgdCalls = sync.Pool{New: func() any { return new(sgdCall) }}

// run checks the tensors and updates every element, or returns the first bad tensor's
// index and error.
func (c *sgdCall) run(ts []SGDTensor, h SGDHyper) (int, error) {
	c.sizes = c.sizes[:0]
	for i, t := range ts {
		if err := checkOptim("sgd step", t.Params, t.Grads, t.Velocity, t.Velocity); err != nil {
			return i, err
		}
		c.sizes = append(c.sizes, len(t.Params))
	}
	c.ts, c.h = ts, h
	c.parallel.run(c, c.sizes)
	c.ts = nil
	return 0, nil
}

// update applies the update to elements [lo,hi) of tensor t.
func (c *sgdCall) update(t, lo, hi int) {
	x := &c.ts[t]
	sgdVersion.fn(x.Params[lo:hi], x.Grads[lo:hi], x.Velocity[lo:hi], c.h)
}
