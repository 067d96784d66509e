package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTranspose checks the transpose against its definition on shapes with and without
// whole 16×16 blocks, with the vector transpose and without.
func TestTranspose(t *testing.T) {
	saved := transpose16
	defer func() { transpose16 = saved }()
	for _, vector := range []bool{true, false} {
		transpose16 = nil
		if vector {
			transpose16 = saved
		}
		for _, s := range [][2]int{{1, 1}, {16, 16}, {288, 64}, {9, 32}, {32, 196}, {17, 33}, {5, 3}, {16, 17}, {32, 31}} {
			t.Run(fmt.Sprintf("vector=%t/%dx%d", vector && saved != nil, s[0], s[1]), func(t *testing.T) {
				rows, cols := s[0], s[1]
				src := randomSigned(rand.New(rand.NewPCG(uint64(rows), uint64(cols))), rows*cols)
				got, want := make([]float32, len(src)), make([]float32, len(src))
				for r := range rows {
					for c := range cols {
						want[c*rows+r] = src[r*cols+c]
					}
				}
				transpose(got, src, rows, cols)
				assertBits(t, "transpose", got, want)
			})
		}
	}
}
