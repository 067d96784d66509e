package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// withoutPoolDirect runs f with the direct pooled convolution off: Conv2DPoolForward
// then convolves by im2col and SGEMM and pools as two steps.
func withoutPoolDirect(f func()) {
	saved := convPoolRow
	convPoolRow = nil
	defer func() { convPoolRow = saved }()
	f()
}

// poolDirectData are the kinds of data the tests feed both operands and the bias:
// each decides bits that the exact order or the pooling rules decide.
var poolDirectData = []struct {
	name string
	gen  func(rng *rand.Rand, n int) []float32
}{
	{"random", randomSigned},
	// Small integers: exact sums, many equal maxima in a window (the first must win) and
	// exact zeros of both signs (the ReLU's +0 and −1).
	{"ties", func(rng *rand.Rand, n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.IntN(5) - 2)
			if x[i] == 0 && rng.IntN(2) == 0 {
				x[i] = float32(math.Copysign(0, -1))
			}
		}
		return x
	}},
	// Magnitudes from 2⁻⁶⁰ to 2⁶⁰ with full mantissas, some subnormal or near overflow:
	// rounding depends on the order of the sum, so any other order changes bits.
	{"magnitudes", func(rng *rand.Rand, n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			v := math.Ldexp(1+rng.Float64(), rng.IntN(121)-60)
			switch rng.IntN(30) {
			case 0:
				v = math.Ldexp(1+rng.Float64(), -140) // subnormal
			case 1:
				v = math.Ldexp(1+rng.Float64(), 126) // sums overflow to ±Inf
			}
			if rng.IntN(2) == 0 {
				v = -v
			}
			x[i] = float32(v)
		}
		return x
	}},
	// NaNs of several payloads and signs, ±Inf and ±0, dense enough that many windows hold
	// one (and Inf × a padding zero gives NaN).
	{"specials", func(rng *rand.Rand, n int) []float32 {
		special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
			math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00001), math.Float32frombits(0x7fc12345),
			math.Float32frombits(0x7f800001)} // the last one signalling
		x := randomSigned(rng, n)
		for i := range x {
			if rng.IntN(12) == 0 {
				x[i] = special[rng.IntN(len(special))]
			}
		}
		return x
	}},
}

// poolDirectCases are shapes for the direct pooled convolution: every H and W from 2 to
// 33 (odd ones drop a row or column, widths past 32 take two calls a row pair), with C = 1
// or 2, K from 1 to 40, kernels up to 3×3 and padding up to 2 drawn for each; some have
// too many taps and must take the other path.
func poolDirectCases(rng *rand.Rand) []Conv2D {
	cs := []Conv2D{
		{N: 3, C: 1, H: 28, W: 28, K: 32, R: 3, S: 3, Stride: 1, Pad: 1}, // the reference CNN's first layer
		{N: 1, C: 2, H: 33, W: 33, K: 40, R: 2, S: 3, Stride: 1, Pad: 2},
		{N: 1, C: 1, H: 9, W: 70, K: 5, R: 3, S: 3, Stride: 1, Pad: 1},  // three calls a row pair
		{N: 1, C: 2, H: 12, W: 12, K: 8, R: 3, S: 3, Stride: 1, Pad: 1}, // 19 taps: the other path
		{N: 1, C: 1, H: 12, W: 12, K: 8, R: 3, S: 3, Stride: 2, Pad: 1}, // stride 2: the other path
	}
	for h := 2; h <= 33; h++ {
		for w := 2; w <= 33; w++ {
			c := Conv2D{N: 1 + rng.IntN(2), C: 1 + rng.IntN(2), H: h, W: w, K: 1 + rng.IntN(40),
				R: 1 + rng.IntN(3), S: 1 + rng.IntN(3), Pad: rng.IntN(3), Stride: 1}
			if c.C == 2 && c.R*c.S > 7 && rng.IntN(4) != 0 {
				c.R = 2
			}
			if c.OutH() >= 2 && c.OutW() >= 2 {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// TestConv2DPoolDirectMatches checks the direct pooled convolution against the SGEMM and
// pooling path that Conv2DPoolForward took before it, bit for bit in the pooled values
// and the argmax, with and without bias, on each kind of data, with the reference's
// SGEMM on one and two threads.
func TestConv2DPoolDirectMatches(t *testing.T) {
	if convPoolRow == nil {
		t.Skip("no direct pooled convolution on this CPU or build")
	}
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(3, 17))
	direct, total := 0, 0
	for i, c := range poolDirectCases(rng) {
		withBias := i%2 == 0
		data := poolDirectData[i%len(poolDirectData)]
		kk := c.C * c.R * c.S
		var bias []float32
		if withBias {
			kk++
			bias = data.gen(rng, c.K)
		}
		x, w := data.gen(rng, c.N*c.C*c.H*c.W), data.gen(rng, c.K*c.C*c.R*c.S)
		name := fmt.Sprintf("%s_bias=%t_%s", convName(c), withBias, data.name)
		if c.H == 28 && c.W == 28 && !c.poolDirectFits(kk) {
			t.Fatalf("%s: the direct pooled convolution does not take it", name)
		}
		total++
		if c.poolDirectFits(kk) {
			direct++
		}
		np := c.N * c.K * c.PoolOutH() * c.PoolOutW()
		run := func() ([]float32, []int32) {
			pooled, arg := make([]float32, np), make([]int32, np)
			if err := Conv2DPoolForward(c, x, w, bias, pooled, arg, data.gen(rng, c.PoolScratchSize())); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return pooled, arg
		}
		pooled, arg := run()
		for _, threads := range []int{1, 2} {
			SetThreads(threads)
			var wantPooled []float32
			var wantArg []int32
			withoutPoolDirect(func() { wantPooled, wantArg = run() })
			assertPooled(t, fmt.Sprintf("%s threads=%d", name, threads), pooled, arg, wantPooled, wantArg)
		}
	}
	// Only the shapes with too many taps, or too few pixels for the tables, take the other path.
	if direct < total*3/4 {
		t.Fatalf("the direct pooled convolution took %d of %d shapes", direct, total)
	}
	t.Logf("the direct pooled convolution took %d of %d shapes", direct, total)
}

// TestConv2DPoolDirectPoolingRules feeds the pooling crafted windows through a 1×1
// convolution of weight 1 (the identity, but for −0 becoming +0) and compares with
// MaxPool2x2ReLUForward on the same values: ties (the first maximum wins), NaNs (the
// window gives +0 and −1 wherever they are), zeros and negatives (the ReLU), infinities.
func TestConv2DPoolDirectPoolingRules(t *testing.T) {
	if convPoolRow == nil {
		t.Skip("no direct pooled convolution on this CPU or build")
	}
	nan, inf, negz := float32(math.NaN()), float32(math.Inf(1)), float32(math.Copysign(0, -1))
	windows := [][4]float32{ // top-left, top-right, bottom-left, bottom-right
		{1, 2, 3, 4}, {4, 3, 2, 1}, {2, 1, 1, 2}, {1, 2, 2, 1}, {1, 1, 2, 2}, {3, 3, 3, 3},
		{nan, 1, 2, 3}, {1, nan, 2, 3}, {1, 2, nan, 3}, {1, 2, 3, nan}, {5, 1, 1, nan}, {nan, nan, nan, nan},
		{0, 0, 0, 0}, {negz, 0, negz, 0}, {-1, -2, -3, -4}, {-1, 0, -2, 0}, {0, -1, negz, -2},
		{inf, 1, inf, 2}, {-inf, -inf, 1, inf}, {1e-45, 0, 0, 0}, {-1e-45, 0, 2e-45, 1e-45},
	}
	// The windows side by side, 21 of them: two calls, the second with 5 lanes stored; a
	// trailing odd row and column that must be ignored hold 9s.
	n := len(windows)
	c := Conv2D{N: 1, C: 1, H: 3, W: 2*n + 1, K: 3, R: 1, S: 1, Stride: 1}
	x := make([]float32, c.H*c.W)
	for i, win := range windows {
		x[2*i], x[2*i+1], x[c.W+2*i], x[c.W+2*i+1] = win[0], win[1], win[2], win[3]
	}
	for i := 2 * c.W; i < len(x); i++ {
		x[i] = 9
	}
	for i := range c.H {
		x[i*c.W+c.W-1] = 9
	}
	w := []float32{1, 1, 1}
	bias := []float32{0, 0, float32(math.Copysign(0, -1))}
	np := c.K * c.PoolOutH() * c.PoolOutW()
	pooled, arg := make([]float32, np), make([]int32, np)
	if err := Conv2DPoolForward(c, x, w, bias, pooled, arg, make([]float32, c.PoolScratchSize())); err != nil {
		t.Fatal(err)
	}
	if !c.poolDirectFits(2) {
		t.Fatal("the direct pooled convolution does not take the test's shape")
	}
	y := make([]float32, c.K*c.H*c.W)
	for k := range c.K {
		for i, v := range x {
			y[k*c.H*c.W+i] = v + 0 // the convolution's +0 start: −0 becomes +0
		}
	}
	wantPooled, wantArg := make([]float32, np), make([]int32, np)
	if err := MaxPool2x2ReLUForward(1, c.K, c.H, c.W, y, wantPooled, wantArg); err != nil {
		t.Fatal(err)
	}
	assertPooled(t, "crafted windows", pooled, arg, wantPooled, wantArg)
	if pooled[2] != 2 || arg[2] != 4 || arg[5] != 10 || arg[6] != -1 || arg[10] != -1 || arg[13] != -1 {
		t.Fatalf("windows 2, 5, 6, 10 and 13 gave argmax %d, %d, %d, %d and %d", arg[2], arg[5], arg[6], arg[10], arg[13])
	}
}

// assertPooled fails on the first pooled value or argmax whose bits differ.
func assertPooled(t *testing.T, what string, pooled []float32, arg []int32, wantPooled []float32, wantArg []int32) {
	t.Helper()
	for i := range wantPooled {
		if math.Float32bits(pooled[i]) != math.Float32bits(wantPooled[i]) || arg[i] != wantArg[i] {
			t.Fatalf("%s: output %d = %g at %d, want %g at %d", what, i, pooled[i], arg[i], wantPooled[i], wantArg[i])
		}
	}
}
