package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// optimLengths are the slice lengths every optimizer version is checked at: empty, shorter
// than a vector, around one and two vector widths, and the reference MLP's parameter count.
var optimLengths = []int{0, 1, 7, 15, 16, 17, 1000, 235146}

// optimValues names a way of drawing test values: "typical" training values, "wide" ones
// spanning float32's whole range (zeros of both signs, subnormals, values whose squares
// overflow, infinities; the NaNs the update then makes are compared bit for bit too), and
// "nan", wide values with NaNs mixed in (compared as "both NaN": which of two NaN operands
// an instruction propagates depends on operand order, which Go does not specify).
var optimValues = []struct {
	name string
	draw func(rng *rand.Rand) float32
}{
	{"typical", func(rng *rand.Rand) float32 { return float32(rng.NormFloat64() * 0.05) }},
	{"wide", wideValue},
	{"nan", func(rng *rand.Rand) float32 {
		if rng.IntN(50) == 0 {
			return math.Float32frombits(0x7fc00000 | rng.Uint32()&0x803fffff)
		}
		return wideValue(rng)
	}},
}

// wideValue draws from all of float32's magnitudes, with special values now and then.
func wideValue(rng *rand.Rand) float32 {
	sign := float32(1)
	if rng.IntN(2) == 0 {
		sign = -1
	}
	switch rng.IntN(40) {
	case 0:
		return sign * 0
	case 1:
		return math.Float32frombits(rng.Uint32() & 0x807fffff) // subnormal
	case 2:
		return sign * float32(math.Inf(1))
	}
	return sign * float32(math.Ldexp(1+rng.Float64(), rng.IntN(254)-126))
}

func drawSlice(rng *rand.Rand, n int, draw func(*rand.Rand) float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = draw(rng)
	}
	return s
}

// sameBits compares two results element by element: exact bits, or both NaN when nanLoose.
func sameBits(t *testing.T, what string, got, want []float32, nanLoose bool) {
	t.Helper()
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) == math.Float32bits(w) || nanLoose && g != g && w != w {
			continue
		}
		t.Fatalf("%s[%d] = %g (%#08x), reference %g (%#08x)", what, i, g, math.Float32bits(g), w, math.Float32bits(w))
	}
}

// adamHypers are the Adam settings checked: PyTorch's defaults with and without weight
// decay, from step 1 (large bias corrections), step 200 (c₁ rounds to 1) and step 20000
// (c₂ rounds to 1 too), and unusual values (ε = 0, large rate and decay).
var adamHypers = []struct {
	name                string
	lr, b1, b2, eps, wd float64
	firstStep           int64
}{
	{"defaults", 1e-3, 0.9, 0.999, 1e-8, 0, 1},
	{"decay", 1e-3, 0.9, 0.999, 1e-8, 1e-2, 1},
	{"step200", 1e-3, 0.9, 0.999, 1e-8, 5e-4, 200},
	{"step20000", 3e-4, 0.9, 0.999, 1e-8, 0, 20000},
	{"unusual", 3.7, 0.5, 0.25, 0, 0.3, 2},
}

var sgdHypers = []struct {
	name       string
	lr, mu, wd float32
}{
	{"momentum", 0.01, 0.9, 0},
	{"decay", 0.1, 0.9, 5e-4},
	{"no_momentum", 0.05, 0, 1e-2},
	{"unusual", 3.7, 1.5, 0.3},
}

func TestAdamStepMatchesReference(t *testing.T) {
	for _, name := range []string{"avx512", "avx2", "go"} {
		t.Run(name, func(t *testing.T) {
			v, ok := adamVersionByName(name)
			if !ok {
				t.Skipf("the %s Adam version is not available: this CPU lacks its instructions, or the build is not amd64 or uses the purego tag", name)
			}
			saved := adamVersion
			adamVersion = v
			defer func() { adamVersion = saved }()
			for hi, h := range adamHypers {
				for vi, vals := range optimValues {
					for _, n := range optimLengths {
						t.Run(fmt.Sprintf("%s/%s/%d", h.name, vals.name, n), func(t *testing.T) {
							rng := rand.New(rand.NewPCG(uint64(n), uint64(10*hi+vi)))
							p := drawSlice(rng, n, vals.draw)
							m, v := drawSlice(rng, n, vals.draw), drawSlice(rng, n, vals.draw)
							rp, rm, rv := slices.Clone(p), slices.Clone(m), slices.Clone(v)
							// Three steps in a row, so the kernel also works on state it wrote.
							for s := range int64(3) {
								g := drawSlice(rng, n, vals.draw)
								hyper := NewAdamHyper(h.lr, h.b1, h.b2, h.eps, h.wd, h.firstStep+s)
								if err := AdamStep(p, g, m, v, hyper); err != nil {
									t.Fatal(err)
								}
								AdamReference(rp, g, rm, rv, hyper)
								loose := vals.name == "nan"
								sameBits(t, fmt.Sprintf("step %d params", s+1), p, rp, loose)
								sameBits(t, fmt.Sprintf("step %d m", s+1), m, rm, loose)
								sameBits(t, fmt.Sprintf("step %d v", s+1), v, rv, loose)
							}
						})
					}
				}
			}
		})
	}
}

func TestSGDMomentumStepMatchesReference(t *testing.T) {
	for _, name := range []string{"avx512", "avx2", "go"} {
		t.Run(name, func(t *testing.T) {
			v, ok := sgdVersionByName(name)
			if !ok {
				t.Skipf("the %s SGD version is not available: this CPU lacks its instructions, or the build is not amd64 or uses the purego tag", name)
			}
			saved := sgdVersion
			sgdVersion = v
			defer func() { sgdVersion = saved }()
			for hi, h := range sgdHypers {
				for vi, vals := range optimValues {
					for _, n := range optimLengths {
						t.Run(fmt.Sprintf("%s/%s/%d", h.name, vals.name, n), func(t *testing.T) {
							rng := rand.New(rand.NewPCG(uint64(n), uint64(10*hi+vi)))
							p, vel := drawSlice(rng, n, vals.draw), drawSlice(rng, n, vals.draw)
							rp, rvel := slices.Clone(p), slices.Clone(vel)
							hyper := SGDHyper{LR: h.lr, Momentum: h.mu, WeightDecay: h.wd}
							for s := range 3 {
								g := drawSlice(rng, n, vals.draw)
								if err := SGDMomentumStep(p, g, vel, hyper); err != nil {
									t.Fatal(err)
								}
								SGDMomentumReference(rp, g, rvel, hyper)
								loose := vals.name == "nan"
								sameBits(t, fmt.Sprintf("step %d params", s+1), p, rp, loose)
								sameBits(t, fmt.Sprintf("step %d velocity", s+1), vel, rvel, loose)
							}
						})
					}
				}
			}
		})
	}
}

func adamVersionByName(name string) (adamVersionT, bool) {
	for _, v := range adamVersions() {
		if v.name == name {
			return v, true
		}
	}
	return adamVersionT{}, false
}

func sgdVersionByName(name string) (sgdVersionT, bool) {
	for _, v := range sgdVersions() {
		if v.name == name {
			return v, true
		}
	}
	return sgdVersionT{}, false
}

// TestOptimizerThreadsBitIdentical: the parallel split changes nothing (it is element-wise,
// but the chunking must still cover every element exactly once).
func TestOptimizerThreadsBitIdentical(t *testing.T) {
	const n = 235146
	run := func(threads int) [][]float32 {
		SetThreads(threads)
		defer SetThreads(0)
		rng := rand.New(rand.NewPCG(7, 7))
		draw := optimValues[0].draw
		p, m, v := drawSlice(rng, n, draw), drawSlice(rng, n, draw), drawSlice(rng, n, draw)
		q, vel := slices.Clone(p), drawSlice(rng, n, draw)
		for s := range int64(2) {
			g := drawSlice(rng, n, draw)
			if err := AdamStep(p, g, m, v, NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 1e-2, s+1)); err != nil {
				t.Fatal(err)
			}
			if err := SGDMomentumStep(q, g, vel, SGDHyper{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}); err != nil {
				t.Fatal(err)
			}
		}
		return [][]float32{p, m, v, q, vel}
	}
	one := run(1)
	for _, threads := range []int{2, 3, 5} {
		for i, s := range run(threads) {
			sameBits(t, fmt.Sprintf("threads=%d result %d", threads, i), s, one[i], false)
		}
	}
}

func TestOptimizerRejectsMismatchedLengths(t *testing.T) {
	p, short := make([]float32, 5), make([]float32, 4)
	h := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, 1)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"adam grads", AdamStep(p, short, p, p, h)},
		{"adam m", AdamStep(p, p, short, p, h)},
		{"adam v", AdamStep(p, p, p, short, h)},
		{"sgd grads", SGDMomentumStep(p, short, p, SGDHyper{})},
		{"sgd velocity", SGDMomentumStep(p, p, short, SGDHyper{})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, ErrShape) {
				t.Fatalf("error %v, want ErrShape", tc.err)
			}
		})
	}
}

// TestOptimizerStepsDoNotAllocate: a training step's optimizer calls allocate nothing.
func TestOptimizerStepsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop objects: allocation counts mean nothing")
	}
	const n = 235146
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	h := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, 1)
	tensors := []AdamTensor{{p[:1000], g[:1000], m[:1000], v[:1000]}, {p[1000:], g[1000:], m[1000:], v[1000:]}}
	allocs := testing.AllocsPerRun(5, func() {
		if err := AdamStep(p, g, m, v, h); err != nil {
			t.Fatal(err)
		}
		if err := SGDMomentumStep(p, g, m, SGDHyper{LR: 0.1, Momentum: 0.9}); err != nil {
			t.Fatal(err)
		}
		if err := AdamSteps(tensors, h); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per step, want 0", allocs)
	}
}

// TestNewAdamHyperCorrections checks the bias corrections against values worked out by
// hand: 1−0.9 = 0.1 and 1−0.999² = 0.001999, and c₁ rounds to exactly 1 once 0.9ᵗ < 2⁻²⁵.
func TestNewAdamHyperCorrections(t *testing.T) {
	if h := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, 1); h.Correction1 != float32(0.1) {
		t.Errorf("step 1: c1 = %g, want 0.1", h.Correction1)
	}
	if h := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, 2); math.Abs(float64(h.Correction2)-0.001999) > 1e-9 {
		t.Errorf("step 2: c2 = %g, want 0.001999", h.Correction2)
	}
	if h := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, 200); h.Correction1 != 1 {
		t.Errorf("step 200: c1 = %g, want 1", h.Correction1)
	}
}
