package kernels

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// SumParts must add the parts in order, element by element, as a scalar loop does: the
// result of a convolution's weight gradient depends on that order, bit for bit.
func TestSumPartsAddsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-45, -1e-45, math.MaxFloat32}
	for _, n := range []int{0, 1, 7, 8, 9, 2047, 2048, 2049, 18432, 18441} {
		for _, count := range []int{1, 2, 8} {
			parts := make([][]float32, count)
			for i := range parts {
				parts[i] = make([]float32, n+i) // longer parts are allowed; their tails are not read
				for j := range parts[i] {
					if rng.IntN(16) == 0 {
						parts[i][j] = specials[rng.IntN(len(specials))]
					} else {
						parts[i][j] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-6)))
					}
				}
			}
			dst := make([]float32, n)
			for j := range dst {
				dst[j] = 12345 // overwritten, not added to
			}
			if err := SumParts(dst, parts); err != nil {
				t.Fatal(err)
			}
			for j := range dst {
				want := parts[0][j]
				for _, p := range parts[1:] {
					want += p[j]
				}
				if math.Float32bits(dst[j]) != math.Float32bits(want) && !(want != want && dst[j] != dst[j]) {
					t.Fatalf("n=%d parts=%d: dst[%d] = %v (%#x), want %v (%#x)", n, count, j, dst[j], math.Float32bits(dst[j]), want, math.Float32bits(want))
				}
			}
		}
	}
}

func TestSumPartsRefusesShortParts(t *testing.T) {
	dst := []float32{9, 9, 9}
	if err := SumParts(dst, nil); !errors.Is(err, ErrShape) {
		t.Fatalf("no parts: %v", err)
	}
	err := SumParts(dst, [][]float32{{1, 2, 3}, {1, 2}})
	if !errors.Is(err, ErrShape) || err.Error() != "sum parts: part 1 has 2 values, want at least 3: "+ErrShape.Error() {
		t.Fatalf("short part: %v", err)
	}
	if dst[0] != 9 || dst[1] != 9 || dst[2] != 9 {
		t.Fatalf("a refused sum wrote dst: %v", dst)
	}
}

func TestSumPartsAllocatesNothing(t *testing.T) {
	parts := [][]float32{make([]float32, 5000), make([]float32, 5000)}
	dst := make([]float32, 5000)
	if n := testing.AllocsPerRun(10, func() { _ = SumParts(dst, parts) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
