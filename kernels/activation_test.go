package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specialFloats puts NaN, ±0 and ±Inf among random values: the vector kernels must
// treat them exactly as the Go ones do.
func specialFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	specials := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := range v {
		if rng.IntN(10) == 0 {
			v[i] = specials[rng.IntN(len(specials))]
		} else {
			v[i] = float32(rng.NormFloat64() * 3)
		}
	}
	return v
}

func sameRowBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestRowKernelsMatchReference(t *testing.T) {
	for _, version := range rowVersions() {
		for _, n := range []int{1, 7, 8, 9, 31, 256, 257} {
			rng := rand.New(rand.NewPCG(uint64(n), 5))
			rows := 3
			y := specialFloats(rng, rows*n)
			bias := specialFloats(rng, n)
			dy := specialFloats(rng, rows*n)
			t.Run(version.name, func(t *testing.T) {
				for _, relu := range []bool{false, true} {
					got := append([]float32(nil), y...)
					for r := range rows {
						version.biasRow(got[r*n:(r+1)*n], bias, relu)
					}
					want := make([]float32, len(y))
					for i, v := range y {
						s := v + bias[i%n]
						if relu && !(s > 0) { // max(s, 0) as VMAXPS: NaN and −0 → +0
							s = 0
						}
						want[i] = s
					}
					sameRowBits(t, "bias+activation", got, want)
				}

				dx := make([]float32, len(y))
				version.reluBackward(y, dy, dx)
				want := make([]float32, len(y))
				for i, v := range y {
					if v > 0 {
						want[i] = dy[i]
					}
				}
				sameRowBits(t, "relu backward", dx, want)
				inPlace := append([]float32(nil), y...)
				version.reluBackward(inPlace, inPlace, inPlace)
				for i, v := range y {
					want[i] = 0
					if v > 0 {
						want[i] = v
					}
				}
				sameRowBits(t, "relu in place", inPlace, want)

				sums := specialFloats(rng, n)
				wantSums := append([]float32(nil), sums...)
				for r := range rows {
					version.addRow(sums, dy[r*n:(r+1)*n])
					for j := range n {
						wantSums[j] += dy[r*n+j]
					}
				}
				sameRowBits(t, "row sums", sums, wantSums)
			})
		}
	}
}

func TestColumnSumsAndBiasActivation(t *testing.T) {
	x := []float32{1, -2, 3, 4, -5, 6}
	sums := []float32{99, 99}
	ColumnSums(x, sums[:2])
	// x as 3 rows of 2: columns (1, 3, -5) and (-2, 4, 6).
	if sums[0] != -1 || sums[1] != 8 {
		t.Fatalf("column sums %v, want [-1 8]", sums)
	}
	y := []float32{1, -2, 3, -4}
	BiasActivation(y, []float32{0.5, 1}, true)
	if want := []float32{1.5, 0, 3.5, 0}; y[0] != want[0] || y[1] != want[1] || y[2] != want[2] || y[3] != want[3] {
		t.Fatalf("bias+relu %v, want %v", y, want)
	}
}

func BenchmarkRowKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const rows, n = 128, 256
	y := specialFloats(rng, rows*n)
	dy := specialFloats(rng, rows*n)
	dx := make([]float32, rows*n)
	bias := specialFloats(rng, n)
	for _, v := range rowVersions() {
		b.Run("relu-backward/"+v.name, func(b *testing.B) {
			for b.Loop() {
				v.reluBackward(y, dy, dx)
			}
		})
		b.Run("bias-relu/"+v.name, func(b *testing.B) {
			for b.Loop() {
				for r := range rows {
					v.biasRow(dx[r*n:(r+1)*n], bias, true)
				}
			}
		})
	}
}
