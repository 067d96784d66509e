package kernels

// updateChunk is about how many elements one part of a parallel optimizer update covers,
// and minParallelUpdate the element count below which an update stays on the calling
// goroutine. A second core pays for both updates: Adam is bound by the divider (up to
// three divisions and a square root per element; a 235,146-element step took 68 µs on two
// goroutines against 113 µs on one), and SGD with momentum by memory (in a training step
// its operands have left the core's L2: the MLP's 2.8 MB of parameters, gradients and
// velocities took 160 µs on one core and about 40 on two).
const (
	updateChunk       = 1 << 14
	minParallelUpdate = 1 << 16
)

// tensorUpdater is an element-wise update of the elements [lo,hi) of tensor t's operands.
type tensorUpdater interface{ update(t, lo, hi int) }

// tensorUpdate runs an element-wise update of a list of tensors (a model's parameters)
// as one parallel operation; the optimizers' pooled call structs hold one. Each tensor is
// cut into one slice per share (on 16-element boundaries, whole cache lines), and share s
// updates slice s of every tensor: the slices that a weight gradient cut into rows
// (CutRows) and the forward's column cut give the same core, so the update reads what
// that core wrote, and one hand-off covers every tensor instead of one per tensor. Each
// share is cut further into parts of about updateChunk elements that the other goroutines
// take once they are done with theirs. How the tensors are cut changes no result.
type tensorUpdate struct {
	parts
	u        tensorUpdater
	sizes    []int // of each tensor, reused from call to call
	shares   int
	perShare int            // parts in each share
	length   [maxShares]int // elements in each share, over all tensors
}

// run applies u to every element of tensors of the given sizes.
func (c *tensorUpdate) run(u tensorUpdater, sizes []int) {
	total := 0
	for _, n := range sizes {
		total += n
	}
	threads := Threads()
	if total < minParallelUpdate || threads == 1 {
		for t, n := range sizes {
			u.update(t, 0, n)
		}
		return
	}
	c.u, c.sizes = u, sizes
	c.shares = min(threads, maxShares)
	longest := 0
	for s := range c.shares {
		c.length[s] = 0
		for _, n := range sizes {
			lo, hi := sliceOf(n, s, c.shares)
			c.length[s] += hi - lo
		}
		longest = max(longest, c.length[s])
	}
	c.perShare = max(1, (longest+updateChunk-1)/updateChunk)
	runParallel(c, &c.parts, c.shares*c.perShare, c.shares-1)
	c.u, c.sizes = nil, nil
}

// sliceOf is share s's slice of a tensor of n elements cut into shares.
func sliceOf(n, s, shares int) (lo, hi int) {
	lo, hi = n*s/shares&^15, n*(s+1)/shares&^15
	if s == shares-1 {
		hi = n
	}
	return lo, hi
}

// help updates unclaimed parts until none is left. Part p is the p%perShare-th of
// perShare equal runs of share p/perShare's elements, the share's slices of the tensors
// laid end to end.
func (c *tensorUpdate) help(g int, _ *packBuf) {
	for {
		p, ok := c.claim(g)
		if !ok {
			return
		}
		s, q := p/c.perShare, p%c.perShare
		from, to := c.length[s]*q/c.perShare, c.length[s]*(q+1)/c.perShare
		at := 0 // position of the current tensor's slice in the share's run
		for t, n := range c.sizes {
			if at >= to {
				break
			}
			lo, hi := sliceOf(n, s, c.shares)
			if a, b := max(from, at), min(to, at+hi-lo); a < b {
				c.u.update(t, lo+a-at, lo+b-at)
			}
			at += hi - lo
		}
	}
}
