package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// directCases are forward shapes the direct convolution takes: C = 1 and 2, K a multiple
// of 8, outputs narrower and wider than a 32-column chunk and than the SGEMM's 32-column
// tile (ohw < 32 takes its edge kernels only), padding 0 to 2.
func directCases(rng *rand.Rand) []Conv2D {
	cs := []Conv2D{
		{N: 3, C: 1, H: 28, W: 28, K: 32, R: 3, S: 3, Stride: 1, Pad: 1}, // the reference CNN's first layer
		{N: 2, C: 2, H: 14, W: 14, K: 8, R: 2, S: 3, Stride: 1, Pad: 1},
		{N: 2, C: 1, H: 3, W: 7, K: 8, R: 3, S: 3, Stride: 1, Pad: 1},
		{N: 2, C: 1, H: 5, W: 70, K: 8, R: 3, S: 5, Stride: 1, Pad: 2},
		{N: 1, C: 2, H: 9, W: 33, K: 24, R: 1, S: 1, Stride: 1, Pad: 0},
	}
	for range 30 {
		c := Conv2D{N: 1 + rng.IntN(2), C: 1 + rng.IntN(2), K: 8 * (1 + rng.IntN(4)), R: 1 + rng.IntN(3), S: 1 + rng.IntN(3), Stride: 1}
		if c.C == 2 && c.R*c.S > 7 {
			c.R = 2
		}
		c.Pad = rng.IntN(min(c.R, c.S))
		c.H, c.W = c.R+rng.IntN(30), c.S+1+rng.IntN(40)
		cs = append(cs, c)
	}
	return cs
}

// directTestData is convolution input or weights with the values whose bits the SGEMM
// path decides: ±0, ±Inf and NaNs of both signs and several payloads (a NaN weight times
// a NaN input keeps one of the two by operand order).
func directTestData(rng *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00001), math.Float32frombits(0x7fc12345)}
	x := randomSigned(rng, n)
	for i := range x {
		if rng.IntN(40) == 0 {
			x[i] = special[rng.IntN(len(special))]
		}
	}
	return x
}

// withoutDirect runs f with the direct convolution off: the SGEMM path.
func withoutDirect(f func()) {
	saved := convDirectRow
	convDirectRow = nil
	defer func() { convDirectRow = saved }()
	f()
}

// TestConv2DDirectMatchesSgemm checks the direct convolution against the im2col and SGEMM
// path, bit for bit, through Conv2DForward and Conv2DPoolForward, with and without bias,
// on data with NaNs, infinities and signed zeros in both operands, on one and two threads.
func TestConv2DDirectMatchesSgemm(t *testing.T) {
	if convDirectRow == nil {
		t.Skip("no direct convolution on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(5, 41))
	for _, c := range directCases(rng) {
		for _, withBias := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s_bias=%t", convName(c), withBias), func(t *testing.T) {
				kk := c.C * c.R * c.S
				var bias []float32
				if withBias {
					kk++
					bias = directTestData(rng, c.K)
				}
				if !c.direct(kk) {
					if c.H == 28 {
						t.Fatalf("the direct convolution does not take %s", convName(c))
					}
					t.Skipf("the direct convolution does not take %s: its tables do not fit in scratch", convName(c))
				}
				x := directTestData(rng, c.N*c.C*c.H*c.W)
				w := directTestData(rng, c.K*c.C*c.R*c.S)
				ny := c.N * c.K * c.OutH() * c.OutW()
				np := c.N * c.K * c.PoolOutH() * c.PoolOutW()
				run := func(threads int) (y, pooled []float32, arg []int32) {
					prev := Threads()
					SetThreads(threads)
					defer SetThreads(prev)
					y, pooled, arg = make([]float32, ny), make([]float32, np), make([]int32, np)
					if err := Conv2DForward(c, x, w, bias, y, randomSigned(rng, c.ScratchSize())); err != nil {
						t.Fatal(err)
					}
					if np > 0 {
						if err := Conv2DPoolForward(c, x, w, bias, pooled, arg, randomSigned(rng, c.PoolScratchSize())); err != nil {
							t.Fatal(err)
						}
					}
					return y, pooled, arg
				}
				for _, threads := range []int{1, 2} {
					var wantY, wantPooled []float32
					var wantArg []int32
					withoutDirect(func() { wantY, wantPooled, wantArg = run(threads) })
					y, pooled, arg := run(threads)
					assertBits(t, fmt.Sprintf("threads=%d y", threads), y, wantY)
					assertBits(t, fmt.Sprintf("threads=%d pooled", threads), pooled, wantPooled)
					for i := range arg {
						if arg[i] != wantArg[i] {
							t.Fatalf("threads=%d argmax[%d] = %d, want %d", threads, i, arg[i], wantArg[i])
						}
					}
				}
			})
		}
	}
}
