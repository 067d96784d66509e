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

// sgdChunk is how many elements one part of a parallel SGD update covers, and
// minParallelSGD the length below which it stays on the calling goroutine. The update
// moves 20 bytes per element for 5 flops; in a training step its operands have left the
// core's L2 (the MLP's 235,146 parameters, gradients and velocities are 2.8 MB), and one
// core streaming them took 160 µs, so the second core's share of the bandwidth pays.
const (
	sgdChunk       = 1 << 14
	minParallelSGD = 1 << 16
)

// sgdCall is one SGD update shared by the goroutines working on it; pooled so that a
// step allocates nothing.
type sgdCall struct {
	sgdArgs
	parts
}

// sgdArgs is one SGD update as its parts see it.
type sgdArgs struct {
	p, g, vel []float32
	h         SGDHyper
}

var sgdCalls = sync.Pool{New: func() any { return new(sgdCall) }}

// run updates every element, in parallel chunks when there are many. Element-wise updates
// do not depend on how the range is split.
func (c *sgdCall) run() {
	n := len(c.p)
	threads := Threads()
	if n < minParallelSGD || threads == 1 {
		c.update(0, n)
		return
	}
	chunks := (n + sgdChunk - 1) / sgdChunk
	c.start(chunks)
	runParallel(c, &c.parts, min(threads, chunks)-1)
}

// help updates unclaimed chunks until none is left.
func (c *sgdCall) help() {
	for {
		i, ok := c.claim()
		if !ok {
			return
		}
		c.update(i*sgdChunk, min(len(c.p), (i+1)*sgdChunk))
	}
}

// update applies the update to elements [lo,hi).
func (c *sgdCall) update(lo, hi int) {
	sgdVersion.fn(c.p[lo:hi], c.g[lo:hi], c.vel[lo:hi], c.h)
}
