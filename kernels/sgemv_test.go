package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvColumnMatchesKernels holds the one-column path to the micro-kernels it stands in
// for, bit for bit: short and long K (several K blocks), partial row blocks, both
// transposes of b, alpha and beta (with NaN in C when beta is 0), and NaNs of two payloads,
// ±Inf and −0 in A and b, where the operand order decides which NaN survives.
func TestGemvColumnMatchesKernels(t *testing.T) {
	if gemvColumn == nil {
		t.Skip("no one-column kernel on this CPU")
	}
	nanA, nanB := math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002)
	specials := []float32{nanA, nanB, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0}
	for _, s := range []struct{ m, k, lda int }{{1, 1, 1}, {16, 30, 30}, {128, 30, 30}, {17, 5, 9}, {64, 300, 301}, {200, 600, 600}, {3, 40, 40}, {100, 2, 7}} {
		for _, transB := range []bool{false, true} {
			for _, ab := range [][2]float32{{1, 0}, {-0.7, 1}, {2, 0.5}} {
				for _, special := range []bool{false, true} {
					name := fmt.Sprintf("%dx1x%d_lda%d_transB=%t_alpha=%g_beta=%g_specials=%t", s.m, s.k, s.lda, transB, ab[0], ab[1], special)
					t.Run(name, func(t *testing.T) {
						rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.k)))
						a, b := randomSigned(rng, s.m*s.lda), randomSigned(rng, s.k)
						if special {
							for i := range a {
								if rng.IntN(7) == 0 {
									a[i] = specials[rng.IntN(len(specials))]
								}
							}
							for i := range b {
								if rng.IntN(5) == 0 {
									b[i] = specials[rng.IntN(len(specials))]
								}
							}
						}
						c := randomSigned(rng, s.m)
						if ab[1] == 0 {
							c[0] = float32(math.NaN()) // not read when beta is 0
						}
						want := append([]float32(nil), c...)
						ldb := 1
						if transB {
							ldb = s.k
						}
						Sgemm(false, transB, s.m, 1, s.k, ab[0], a, s.lda, b, ldb, ab[1], c, 1)
						sgemmWith(&narrowKernel, 1, packAuto, CutAuto, false, transB, s.m, 1, s.k, ab[0], a, s.lda, b, ldb, ab[1], want, 1, nil)
						assertBits(t, "c", c, want)
					})
				}
			}
		}
	}
}
