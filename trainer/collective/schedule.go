package collective

// ringPlan is the order in which one all-reduce moves its chunks. Every
// segment is cut into the same number of chunks (slices); item (l, g) is
// chunk l of the segment a rank sends (or receives) in ring step g.
//
// Items run slice-major along anti-diagonals ("wavefronts"): wavefront t
// holds the items with l+g = t, in ascending g. Item (l, g) depends only on
// item (l, g−1) of the predecessor, which is in wavefront t−1, so the ring
// stays busy, and a chunk is forwarded about one wavefront (2(W−1) chunks)
// after it arrived, while it is still in cache. Sending whole steps in turn
// instead forwards data one segment after it arrived, from memory, which for
// large messages costs a visible share of the send-side copy.
//
// Both the writer and the receiver walk the same order, so the writer's k-th
// forwarded item is the one the receiver finished k-th, and the sums and
// their order are those of the step-by-step ring documented in allreduce.go.
type ringPlan struct {
	steps  int // 2(W−1)
	slices int // chunks per segment
	per    int // floats per chunk
}

func newRingPlan(n, world, per int) ringPlan {
	maxSeg := (n + world - 1) / world
	return ringPlan{steps: 2 * (world - 1), slices: chunkCount(maxSeg, per), per: per}
}

// wavefronts is the number of anti-diagonals, 0 for an empty vector.
func (p ringPlan) wavefronts() int {
	if p.slices == 0 {
		return 0
	}
	return p.slices + p.steps - 1
}

// stepRange is the steps g (first ≤ g ≤ last) in wavefront t.
func (p ringPlan) stepRange(t int) (first, last int) {
	return max(0, t-p.slices+1), min(p.steps-1, t)
}

// through is how many items wavefronts 0 … t hold together.
func (p ringPlan) through(t int) int64 {
	if t < 0 {
		return 0
	}
	d, tt := int64(p.steps), int64(t)
	var full int64 // Σ (min(D−1, t′) + 1): the items if there were no last slice
	if tt <= d-1 {
		full = (tt + 1) * (tt + 2) / 2
	} else {
		full = d*(d+1)/2 + (tt-d+1)*d
	}
	var past int64 // Σ max(0, t′−L+1): items beyond the last slice
	if m := tt - int64(p.slices) + 1; m > 0 {
		past = m * (m + 1) / 2
	}
	return full - past
}

// chunk is chunk l of seg (short or empty at the end of a segment).
func (p ringPlan) chunk(seg []float32, l int) []float32 {
	lo := min(l*p.per, len(seg))
	return seg[lo:min(lo+p.per, len(seg))]
}
