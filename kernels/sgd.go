package kernels

import "sync"

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
	if err := checkOptim("sgd step", params, grads, velocity, velocity); err != nil {
		return err
	}
	c := sgdCalls.Get().(*sgdCall)
	c.sgdArgs = sgdArgs{p: params, g: grads, vel: velocity, h: h}
	c.run()
	c.sgdArgs = sgdArgs{}
	sgdCalls.Put(c)
	return nil
}

// sgdCall is one SGD update shared by the goroutines working on it; pooled so that a
// step allocates nothing.
type sgdCall struct {
	sgdArgs
	chunks chunkedUpdate
}

// sgdArgs is one SGD update as its parts see it.
type sgdArgs struct {
	p, g, vel []float32
	h         SGDHyper
}

var sgdCalls = sync.Pool{New: func() any { return new(sgdCall) }}

// run updates every element, in parallel chunks when there are many.
func (c *sgdCall) run() { c.chunks.run(c, len(c.p)) }

// update applies the update to elements [lo,hi).
func (c *sgdCall) update(lo, hi int) {
	sgdVersion.fn(c.p[lo:hi], c.g[lo:hi], c.vel[lo:hi], c.h)
}
