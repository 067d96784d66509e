package scheduler

import "math/bits"

// capIndex files nodes by how many devices of one kind they have available, one
// bitset of nodes per count, so that a pass answers "how many nodes have at least
// d" in a few additions and picks the best-fitting nodes for a gang without
// scanning every node for every pending experiment.
type capIndex struct {
	words int      // uint64 words per bitset
	max   int      // highest count filed
	bits  []uint64 // (max+1) bitsets of words words
	n     []int    // nodes per count
}

// reset empties the index for nodes nodes and counts up to max.
func (x *capIndex) reset(nodes, max int) {
	x.words, x.max = (nodes+63)/64, max
	x.bits = resize(x.bits, (max+1)*x.words)
	x.n = resize(x.n, max+1)
}

func (x *capIndex) add(node, c int) {
	x.bits[c*x.words+node>>6] |= 1 << (node & 63)
	x.n[c]++
}

func (x *capIndex) remove(node, c int) {
	x.bits[c*x.words+node>>6] &^= 1 << (node & 63)
	x.n[c]--
}

// move refiles a node whose count changed.
func (x *capIndex) move(node, from, to int) {
	if from != to {
		x.remove(node, from)
		x.add(node, to)
	}
}

// atLeast counts the nodes with at least d available.
func (x *capIndex) atLeast(d int) int {
	t := 0
	for c := max(d, 0); c <= x.max; c++ {
		t += x.n[c]
	}
	return t
}

// pick appends up to r nodes with at least d available to dst, best fit first (the
// fewest available, so that nodes with room stay whole for wide ranks), then by
// node order; skip, when set, leaves nodes out.
func (x *capIndex) pick(dst []int32, d, r int, skip func(int) bool) []int32 {
	for c := max(d, 0); c <= x.max && r > 0; c++ {
		if x.n[c] == 0 {
			continue
		}
		set := x.bits[c*x.words : (c+1)*x.words]
		for w, word := range set {
			for word != 0 && r > 0 {
				node := w<<6 | bits.TrailingZeros64(word)
				word &= word - 1
				if skip != nil && skip(node) {
					continue
				}
				dst = append(dst, int32(node))
				r--
			}
		}
	}
	return dst
}

// eachAtLeast calls fn for every node with at least d available, in node order.
func (x *capIndex) eachAtLeast(d int, fn func(node int) bool) {
	for w := 0; w < x.words; w++ {
		var word uint64
		for c := max(d, 0); c <= x.max; c++ {
			word |= x.bits[c*x.words+w]
		}
		for word != 0 {
			if !fn(w<<6 | bits.TrailingZeros64(word)) {
				return
			}
			word &= word - 1
		}
	}
}
