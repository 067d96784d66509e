package kernels

// A convolution's per-image products are OutH·OutW wide. Where that is not a multiple of
// a vector's 16 lanes (the reference CNN's second layer: 14×14 = 196 = 12·16 + 4), every
// row of the product ends in a tile of a few columns: on the forward's 64 rows, 8
// multiply-adds per k for 4 columns, 8% of the product's instructions for 2% of its work
// (3.4% of the CNN's step on Zen 4). Those columns are computed transposed instead, as the
// rows of a small product whose columns (K for the forward, C·R·S for the input gradient)
// fill whole vectors, and written back through a transpose (transposeBlock).
//
// Each element is the same chain of multiply-adds in the same k order and blocking (both
// products have the same k); the operands of each multiply only swap places, which changes
// no bits except, where both are NaN, which NaN survives. The pooled forward writes any
// NaN it picks as +0, so its results are unchanged even then.

// edgeLanes is the vector width the edge is measured against.
const edgeLanes = 16

// transposedEdge returns where the edge of a product width wide starts, and whether it is
// computed transposed: there is an edge and n, the width of the transposed product, fills
// whole vectors. It depends on the shape only, never on the CPU, so every kernel version
// pairs the same operands.
func transposedEdge(width, n int) (full int, ok bool) {
	full = width - width%edgeLanes
	return full, full > 0 && full < width && n%edgeLanes == 0
}
