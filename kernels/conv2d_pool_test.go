package kernels

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConv2DPoolMatchesLayers checks the fused block against the layers it replaces —
// Conv2DForward, MaxPool2x2ReLUForward over the batch, and their backwards — bit for bit,
// with and without bias and input gradient.
func TestConv2DPoolMatchesLayers(t *testing.T) {
	for i, c := range convCases() {
		if c.OutH() < 2 || c.OutW() < 2 {
			continue
		}
		for _, full := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s_bias_and_dx=%t", convName(c), full), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 77))
				x := randomSigned(rng, c.N*c.C*c.H*c.W)
				w := randomSigned(rng, c.K*c.C*c.R*c.S)
				var bias, db, wantDb, dx, wantDx []float32
				if full {
					bias, db, wantDb = randomSigned(rng, c.K), make([]float32, c.K), make([]float32, c.K)
					dx, wantDx = make([]float32, len(x)), make([]float32, len(x))
				}
				oh, ow := c.OutH(), c.OutW()
				np := c.N * c.K * c.PoolOutH() * c.PoolOutW()
				dpooled := randomSigned(rng, np)

				y := make([]float32, c.N*c.K*oh*ow)
				scratch := make([]float32, c.ScratchSize())
				if err := Conv2DForward(c, x, w, bias, y, scratch); err != nil {
					t.Fatal(err)
				}
				wantPooled, wantArg := make([]float32, np), make([]int32, np)
				if err := MaxPool2x2ReLUForward(c.N, c.K, oh, ow, y, wantPooled, wantArg); err != nil {
					t.Fatal(err)
				}
				dy := make([]float32, len(y))
				if err := MaxPool2x2ReLUBackward(c.N, c.K, oh, ow, dpooled, wantArg, dy); err != nil {
					t.Fatal(err)
				}
				wantDw := make([]float32, len(w))
				if err := Conv2DBackward(c, x, w, dy, wantDx, wantDw, wantDb, scratch); err != nil {
					t.Fatal(err)
				}

				pooled, arg := make([]float32, np), make([]int32, np)
				ps := randomSigned(rng, c.PoolScratchSize()) // dirty scratch
				if err := Conv2DPoolForward(c, x, w, bias, pooled, arg, ps); err != nil {
					t.Fatal(err)
				}
				assertBits(t, "pooled", pooled, wantPooled)
				per := np / c.N
				for j := range arg {
					want := wantArg[j]
					if want >= 0 {
						want -= int32(j / per * c.K * oh * ow) // batch index → index within the image
					}
					if arg[j] != want {
						t.Fatalf("argmax[%d] = %d, want %d", j, arg[j], want)
					}
				}
				dw := randomSigned(rng, len(w))
				if err := Conv2DPoolBackward(c, x, w, dpooled, arg, dx, dw, db, ps); err != nil {
					t.Fatal(err)
				}
				assertBits(t, "dw", dw, wantDw)
				assertBits(t, "db", db, wantDb)
				assertBits(t, "dx", dx, wantDx)
			})
		}
	}
}

func TestConv2DPoolRejectsBadBuffers(t *testing.T) {
	c := Conv2D{N: 2, C: 1, H: 6, W: 6, K: 3, R: 3, S: 3, Stride: 1, Pad: 1}
	np := c.N * c.K * c.PoolOutH() * c.PoolOutW()
	x, w := make([]float32, c.N*36), make([]float32, 27)
	scratch := make([]float32, c.PoolScratchSize())
	for name, err := range map[string]error{
		"short pooled":  Conv2DPoolForward(c, x, w, nil, make([]float32, np-1), make([]int32, np), scratch),
		"short argmax":  Conv2DPoolForward(c, x, w, nil, make([]float32, np), make([]int32, np+1), scratch),
		"short scratch": Conv2DPoolForward(c, x, w, nil, make([]float32, np), make([]int32, np), scratch[1:]),
		"tiny output":   Conv2DPoolForward(Conv2D{N: 1, C: 1, H: 1, W: 3, K: 1, R: 1, S: 1, Stride: 1}, make([]float32, 3), make([]float32, 1), nil, nil, nil, make([]float32, 10)),
		"short dw":      Conv2DPoolBackward(c, x, w, make([]float32, np), make([]int32, np), nil, make([]float32, 26), nil, scratch),
	} {
		if !errors.Is(err, ErrShape) {
			t.Errorf("%s: %v, want ErrShape", name, err)
		}
	}
}

// TestConv2DPoolBackwardArgmaxOutsideWindow gives the first layer's backward (which
// unpools channels-last where the CPU can) argmaxes that lie in their plane but outside
// their window, in one image only: that image must take the scatter, the others the fast
// path, and the sums must be the layered reference's bit for bit.
func TestConv2DPoolBackwardArgmaxOutsideWindow(t *testing.T) {
	c := Conv2D{N: 3, C: 1, H: 8, W: 10, K: 16, R: 3, S: 3, Stride: 1, Pad: 1}
	rng := rand.New(rand.NewPCG(5, 6))
	x, w, bias := randomSigned(rng, c.N*c.C*c.H*c.W), randomSigned(rng, c.K*c.C*c.R*c.S), randomSigned(rng, c.K)
	np := c.N * c.K * c.PoolOutH() * c.PoolOutW()
	pooled, arg := make([]float32, np), make([]int32, np)
	ps := make([]float32, c.PoolScratchSize())
	if err := Conv2DPoolForward(c, x, w, bias, pooled, arg, ps); err != nil {
		t.Fatal(err)
	}
	per, ohw := np/c.N, c.OutH()*c.OutW()
	arg[per+5*c.PoolOutH()*c.PoolOutW()+3] = int32(5*ohw + ohw - 1) // image 1, channel 5: the plane's last pixel
	dpooled := randomSigned(rng, np)

	dy := make([]float32, c.N*c.K*ohw)
	batchArg := make([]int32, np)
	for j, a := range arg {
		batchArg[j] = a
		if a >= 0 {
			batchArg[j] += int32(j / per * c.K * ohw)
		}
	}
	if err := MaxPool2x2ReLUBackward(c.N, c.K, c.OutH(), c.OutW(), dpooled, batchArg, dy); err != nil {
		t.Fatal(err)
	}
	wantDw, wantDb := make([]float32, len(w)), make([]float32, c.K)
	if err := Conv2DBackward(c, x, w, dy, nil, wantDw, wantDb, make([]float32, c.ScratchSize())); err != nil {
		t.Fatal(err)
	}
	dw, db := make([]float32, len(w)), make([]float32, c.K)
	if err := Conv2DPoolBackward(c, x, w, dpooled, arg, nil, dw, db, ps); err != nil {
		t.Fatal(err)
	}
	assertBits(t, "dw", dw, wantDw)
	assertBits(t, "db", db, wantDb)
}
