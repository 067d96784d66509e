package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConv2DTransposedEdgeBits checks the forward and the input gradient of shapes whose
// products end in a transposed edge against the same products computed whole, as one SGEMM
// each, bit for bit: the edge only moves where the multiply-adds run.
func TestConv2DTransposedEdgeBits(t *testing.T) {
	for _, c := range []Conv2D{
		{N: 2, C: 32, H: 14, W: 14, K: 64, R: 3, S: 3, Stride: 1, Pad: 1, Threads: 1}, // 196 = 12·16 + 4
		{N: 1, C: 16, H: 5, W: 7, K: 16, R: 1, S: 1, Stride: 1, Pad: 0, Threads: 1},   // 35 = 2·16 + 3, no bias row
		{N: 1, C: 2, H: 9, W: 9, K: 32, R: 3, S: 3, Stride: 1, Pad: 1, Threads: 2},    // 81 = 5·16 + 1
	} {
		for _, bias := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s_bias=%t", convName(c), bias), func(t *testing.T) {
				ohw, crs := c.OutH()*c.OutW(), c.C*c.R*c.S
				if _, ok := transposedEdge(ohw, c.K); !ok {
					t.Fatalf("width %d, K %d: no transposed edge to test", ohw, c.K)
				}
				rng := rand.New(rand.NewPCG(uint64(ohw), 3))
				x, w := randomSigned(rng, c.N*c.C*c.H*c.W), randomSigned(rng, c.K*crs)
				var b []float32
				kk := crs
				if bias {
					b, kk = randomSigned(rng, c.K), crs+1
				}
				y := make([]float32, c.N*c.K*ohw)
				if err := Conv2DForward(c, x, w, b, y, make([]float32, c.ScratchSize())); err != nil {
					t.Fatal(err)
				}
				dy := randomSigned(rng, len(y))
				dx, dw := make([]float32, len(x)), make([]float32, len(w))
				if err := Conv2DBackward(c, x, w, dy, dx, dw, nil, make([]float32, c.ScratchSize())); err != nil {
					t.Fatal(err)
				}

				wk := make([]float32, c.K*kk)
				for k := range c.K {
					copy(wk[k*kk:], w[k*crs:(k+1)*crs])
					if bias {
						wk[k*kk+crs] = b[k]
					}
				}
				col := make([]float32, kk*ohw)
				for i := crs * ohw; i < len(col); i++ {
					col[i] = 1
				}
				wantY, wantDx := make([]float32, len(y)), make([]float32, len(x))
				for n := range c.N {
					Im2col(c, x[n*c.C*c.H*c.W:], col)
					sgemmThreads(1, CutAuto, false, false, c.K, ohw, kk, 1, wk, kk, col, ohw, 0, wantY[n*c.K*ohw:], ohw, nil)
					sgemmThreads(1, CutAuto, true, false, crs, ohw, c.K, 1, w, crs, dy[n*c.K*ohw:], ohw, 0, col, ohw, nil)
					Col2im(c, col, wantDx[n*c.C*c.H*c.W:(n+1)*c.C*c.H*c.W])
				}
				assertBits(t, "y", y, wantY)
				assertBits(t, "dx", dx, wantDx)
			})
		}
	}
}
