package kernels

// updateChunk is how many elements one part of a parallel optimizer update covers, and
// minParallelUpdate the length below which an update stays on the calling goroutine. A
// second core pays for both updates: Adam is bound by the divider (up to three divisions
// and a square root per element; a 235,146-element step took 68 µs on two goroutines
// against 113 µs on one), and SGD with momentum by memory (in a training step its operands
// have left the core's L2: the MLP's 2.8 MB of parameters, gradients and velocities took
// 160 µs on one core and about 40 on two).
const (
	updateChunk       = 1 << 14
	minParallelUpdate = 1 << 16
)

// rangeUpdater is an element-wise update of the elements [lo,hi) of its operands.
type rangeUpdater interface{ update(lo, hi int) }

// chunkedUpdate runs an element-wise update in chunks of updateChunk on the worker pool;
// the optimizers' pooled call structs hold one. How the range is split changes no result.
type chunkedUpdate struct {
	parts
	u rangeUpdater
	n int
}

// run applies u to the n elements, in parallel chunks when there are many.
func (c *chunkedUpdate) run(u rangeUpdater, n int) {
	threads := Threads()
	if n < minParallelUpdate || threads == 1 {
		u.update(0, n)
		return
	}
	c.u, c.n = u, n
	chunks := (n + updateChunk - 1) / updateChunk
	runParallel(c, &c.parts, chunks, min(threads, chunks)-1)
	c.u = nil
}

// help updates unclaimed chunks until none is left.
func (c *chunkedUpdate) help(g int) {
	for {
		i, ok := c.claim(g)
		if !ok {
			return
		}
		c.u.update(i*updateChunk, min(c.n, (i+1)*updateChunk))
	}
}
