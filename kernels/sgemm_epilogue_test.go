package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmThenMatchesSeparatePasses checks SgemmThen with each epilogue against Sgemm
// followed by the epilogue's whole-matrix pass, bit for bit, on every thread count, with
// zeros, negative zeros and NaNs in C so that the ReLU and the mask meet every case.
func TestSgemmThenMatchesSeparatePasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range gemmCases() {
		if tc.pad != 0 {
			continue // the whole-matrix passes take packed rows
		}
		d := newGemmData(tc, 3)
		bias := randomSigned(rng, tc.n)
		y := randomSigned(rng, tc.m*tc.n)
		for i := range y {
			switch rng.IntN(5) {
			case 0:
				y[i] = 0
			case 1:
				y[i] = float32(math.Copysign(0, -1))
			case 2:
				y[i] = float32(math.NaN())
			}
		}
		for _, ep := range []struct {
			name     string
			epilogue Epilogue
			pass     func(c []float32)
		}{
			{"bias", &BiasActivationEpilogue{Bias: bias}, func(c []float32) { BiasActivation(c, bias, false) }},
			{"bias+relu", &BiasActivationEpilogue{Bias: bias, ReLU: true}, func(c []float32) { BiasActivation(c, bias, true) }},
			{"relu mask", &ReLUMaskEpilogue{Y: y, LDY: tc.n}, func(c []float32) { ReLUBackward(y, c, c) }},
		} {
			want := append([]float32(nil), d.c...)
			sgemmThreads(1, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, want, d.ldc, nil)
			ep.pass(want)
			for _, threads := range []int{1, 2, 3, 5} {
				got := append([]float32(nil), d.c...)
				sgemmThreads(threads, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc, ep.epilogue)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v %s, %d threads: element %d is %v, want %v", tc, ep.name, threads, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSgemmThenEmptyK checks that the epilogue also runs when there is no product (k = 0).
func TestSgemmThenEmptyK(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	SgemmThen(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2, &BiasActivationEpilogue{Bias: []float32{-1, 5}, ReLU: true})
	want := []float32{0, 5, 0, 5}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("C = %v, want %v", c, want)
		}
	}
}

// TestColumnSumsEpilogueMatchesColumnSums: with C cut into columns, the sums written tile
// by tile are ColumnSums of the masked product, bit for bit, on every thread count.
func TestColumnSumsEpilogueMatchesColumnSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range gemmCases() {
		if tc.pad != 0 {
			continue
		}
		d := newGemmData(tc, 3)
		y := specialFloats(rng, tc.m*tc.n)
		want := append([]float32(nil), d.c...)
		sgemmThreads(1, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, want, d.ldc, nil)
		ReLUBackward(y, want, want)
		wantSums := make([]float32, tc.n)
		ColumnSums(want, wantSums)
		for _, threads := range []int{1, 2, 3, 5} {
			got := append([]float32(nil), d.c...)
			sums := specialFloats(rng, tc.n)
			ep := &ColumnSumsEpilogue{Then: &ReLUMaskEpilogue{Y: y, LDY: tc.n}, Sums: sums, Rows: tc.m}
			sgemmThreads(threads, CutColumns, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc, ep)
			sameRowBits(t, "masked C", got, want)
			sameRowBits(t, "column sums", sums, wantSums)
		}
	}
}
