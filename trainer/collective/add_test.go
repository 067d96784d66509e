package collective

import (
	"fmt"
	"math"
	"testing"
)

func TestAddIntoMatchesReference(t *testing.T) {
	t.Parallel()
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, math.MaxFloat32, 1e-40, -3.5}
	for _, n := range []int{0, 1, 3, 15, 16, 17, 31, 64, 1000, 65539} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			in := randomVectors(2, n, uint64(n))
			for i := 0; i < n; i += 7 {
				in[0][i] = special[i%len(special)]
				in[1][i] = special[(i/7)%len(special)]
			}
			want := append([]float32(nil), in[0]...)
			addIntoRef(want, in[1])
			got := append([]float32(nil), in[0]...)
			addInto(got, append(in[1], 42)) // a longer src must be cut to dst
			if i := firstBitDiff(got, want); i >= 0 {
				t.Fatalf("element %d: got %#x, want %#x", i, math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		})
	}
}

func BenchmarkAddInto(b *testing.B) {
	for _, impl := range []struct {
		name string
		fn   func(dst, src []float32)
	}{{"ref", addIntoRef}, {"vec", addInto}} {
		b.Run(impl.name, func(b *testing.B) {
			dst := make([]float32, 64<<10) // one default chunk
			src := make([]float32, 64<<10)
			b.SetBytes(int64(4 * len(dst)))
			for b.Loop() {
				impl.fn(dst, src)
			}
		})
	}
}
