package kernels

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// expMatches reports the first input whose Exp differs from math.Exp in any bit.
func expMatches(t *testing.T, src []float64) {
	t.Helper()
	dst := make([]float64, len(src))
	Exp(dst, src)
	for i, x := range src {
		if want := math.Exp(x); math.Float64bits(dst[i]) != math.Float64bits(want) {
			t.Fatalf("Exp(%v) = %v (%#x), math.Exp gives %v (%#x)", x, dst[i], math.Float64bits(dst[i]), want, math.Float64bits(want))
		}
	}
}

func TestExpMatchesMathExpBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var src []float64
	for range 100_000 {
		src = append(src, (rng.Float64()*2-1)*40) // softmax inputs: z − max z, mostly small
	}
	for range 100_000 {
		src = append(src, (rng.Float64()*2-1)*760) // the whole range, both sides of the bounds
	}
	for range 10_000 {
		src = append(src, math.Float64frombits(rng.Uint64())) // any bits: NaNs, huge, tiny
	}
	expMatches(t, src)
}

func TestExpSpecialInputs(t *testing.T) {
	src := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		expOrdinary, -expOrdinary, math.Nextafter(expOrdinary, 1000), math.Nextafter(-expOrdinary, -1000),
		708, -708, 709.78, 709.79, -745.1, -745.2, -1022 * math.Ln2, -1074 * math.Ln2,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64,
		0.5 * math.Ln2, -0.5 * math.Ln2, 1e-300, -1e-300}
	expMatches(t, src)
	// each special value in every lane of a vector, among ordinary ones
	for _, s := range src {
		for lane := range 8 {
			v := []float64{-1, -2, -3, -4, -5, -6, -7, -8, 0.25}
			v[lane] = s
			expMatches(t, v)
		}
	}
}

func TestExpLengths(t *testing.T) {
	for n := range 40 {
		src := make([]float64, n)
		for i := range src {
			src[i] = -float64(i) / 3
		}
		expMatches(t, src)
	}
}

func TestExpShortDst(t *testing.T) {
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, ErrShape) {
			t.Fatalf("Exp with a short dst: recovered %v, want an error wrapping ErrShape", err)
		}
	}()
	Exp(make([]float64, 3), make([]float64, 4))
}

func TestExpAllocatesNothing(t *testing.T) {
	src, dst := make([]float64, 1280), make([]float64, 1280)
	if n := testing.AllocsPerRun(100, func() { Exp(dst, src) }); n != 0 {
		t.Fatalf("Exp allocates %v times a call", n)
	}
}

func FuzzExp(f *testing.F) {
	f.Add(0.0, -1.0, 700.0, -745.0)
	f.Add(math.NaN(), math.Inf(1), 1e-310, -709.9)
	f.Fuzz(func(t *testing.T, a, b, c, d float64) {
		expMatches(t, []float64{a, b, c, d, a, b, c, d, d, c, b, a, -a, -b, -c, -d, a})
	})
}

func BenchmarkExp(b *testing.B) {
	src, dst := make([]float64, 1280), make([]float64, 1280)
	for i := range src {
		src[i] = -float64(i%10) / 2
	}
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			Exp(dst, src)
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, x := range src {
				dst[i] = math.Exp(x)
			}
		}
	})
}
