package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPoolReLUMatchesReLUThenPool checks the fused pooling against what it replaces, a
// ReLU in place, the pooling, and the ReLU's mask on the pooling's gradient, bit for bit,
// on data with ties, exact zeros, negative zeros and odd sizes, on one and two threads.
func TestMaxPoolReLUMatchesReLUThenPool(t *testing.T) {
	for _, sh := range []struct{ n, c, h, w int }{{2, 3, 28, 28}, {1, 2, 7, 9}, {3, 1, 2, 2}, {128, 4, 14, 14}} {
		rng := rand.New(rand.NewPCG(uint64(sh.h), 7))
		x := make([]float32, sh.n*sh.c*sh.h*sh.w)
		for i := range x {
			switch rng.IntN(5) {
			case 0:
				x[i] = 0
			case 1:
				x[i] = float32(rng.IntN(3)) - 1 // ties
			case 2:
				x[i] = float32(math.Copysign(0, -1))
			default:
				x[i] = float32(rng.NormFloat64())
			}
		}
		outLen := sh.n * sh.c * (sh.h / 2) * (sh.w / 2)
		dy := randomSigned(rng, outLen)

		relu := append([]float32(nil), x...)
		ReLUBackward(relu, relu, relu)
		wantY, wantArg, wantDx := make([]float32, outLen), make([]int32, outLen), make([]float32, len(x))
		if err := MaxPool2x2Forward(sh.n, sh.c, sh.h, sh.w, relu, wantY, wantArg); err != nil {
			t.Fatal(err)
		}
		if err := MaxPool2x2Backward(sh.n, sh.c, sh.h, sh.w, dy, wantArg, wantDx); err != nil {
			t.Fatal(err)
		}
		ReLUBackward(relu, wantDx, wantDx)

		for _, threads := range []int{1, 2} {
			prev := Threads()
			SetThreads(threads)
			y, arg, dx := make([]float32, outLen), make([]int32, outLen), randomSigned(rng, len(x))
			if err := MaxPool2x2ReLUForward(sh.n, sh.c, sh.h, sh.w, x, y, arg); err != nil {
				t.Fatal(err)
			}
			if err := MaxPool2x2ReLUBackward(sh.n, sh.c, sh.h, sh.w, dy, arg, dx); err != nil {
				t.Fatal(err)
			}
			SetThreads(prev)
			assertBits(t, "y", y, wantY)
			assertBits(t, "dx", dx, wantDx)
		}
	}
}
