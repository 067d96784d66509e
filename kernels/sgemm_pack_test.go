package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackBTransposedVector checks packB's vector transpose against its scalar loop, and
// both against the definition, for panel widths of both AVX-512 kernels, every remainder of
// 16 in k and in the columns, and offset, strided sources.
func TestPackBTransposedVector(t *testing.T) {
	if transpose16 == nil {
		t.Skip("no vector transpose on this CPU")
	}
	vec := transpose16
	defer func() { transpose16 = vec }()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, nr := range []int{16, 32} {
		for _, kc := range []int{1, 5, 15, 16, 17, 31, 32, 33, 64, 196, 256} {
			for _, nc := range []int{1, 10, 15, 16, 17, 32, 33, 47, 64, 70} {
				p0, j0, ldb := rng.IntN(5), rng.IntN(5), 0
				ldb = p0 + kc + rng.IntN(4)
				b := randomMatrix(rng, j0+nc, ldb)
				panels := (nc + nr - 1) / nr
				got, want := make([]float32, panels*nr*kc), make([]float32, panels*nr*kc)
				for i := range got {
					got[i], want[i] = -1, -2 // every element must be written
				}
				transpose16 = vec
				packB(got, b, ldb, true, p0, kc, j0, nc, nr)
				transpose16 = nil
				packB(want, b, ldb, true, p0, kc, j0, nc, nr)
				if !slices.Equal(got, want) {
					t.Fatalf("nr=%d kc=%d nc=%d: vector and scalar packing differ", nr, kc, nc)
				}
				for q := range panels {
					for p := range kc {
						for c := range nr {
							v := float32(0)
							if j := q*nr + c; j < nc {
								v = b[(j0+j)*ldb+p0+p]
							}
							if g := got[q*nr*kc+p*nr+c]; g != v {
								t.Fatalf("nr=%d kc=%d nc=%d: panel %d [%d][%d] = %g, want %g", nr, kc, nc, q, p, c, g, v)
							}
						}
					}
				}
			}
		}
	}
}
