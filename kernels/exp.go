package kernels

import (
	"fmt"
	"math"
)

// Exp sets dst[i] = math.Exp(src[i]) for every i, bit for bit, eight at a time where the
// CPU allows. The loss's softmax takes a batch's exponentials here: one by one they cost
// about as long as a small layer's product (1,280 for a batch of 128 over 10 classes).
// It panics, with an error wrapping ErrShape, if dst is shorter than src.
func Exp(dst, src []float64) {
	if len(dst) < len(src) {
		panic(fmt.Errorf("exp: dst of %d values for %d inputs: %w", len(dst), len(src), ErrShape))
	}
	dst = dst[:len(src)]
	done := expVector(dst, src)
	for i := done; i < len(src); i++ {
		dst[i] = math.Exp(src[i])
	}
	// The vector path follows math.Exp's ordinary path only; inputs that take its
	// overflow, underflow, subnormal or non-finite branches are recomputed by it.
	for i, x := range src[:done] {
		if !(x >= -expOrdinary && x <= expOrdinary) {
			dst[i] = math.Exp(x)
		}
	}
}

// expOrdinary bounds the inputs whose exponential math.Exp computes on its ordinary
// path: for |x| ≤ 700, x·log2(e) rounds to an exponent in [−1010, 1010], far from the
// ±1023 where its special branches begin.
const expOrdinary = 700
