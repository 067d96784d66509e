package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func convCases() []Conv2D {
	return []Conv2D{
		{N: 1, C: 1, H: 1, W: 1, K: 1, R: 1, S: 1, Stride: 1, Pad: 0},
		{N: 2, C: 1, H: 28, W: 28, K: 32, R: 3, S: 3, Stride: 1, Pad: 1},  // reference CNN, layer 1
		{N: 2, C: 32, H: 14, W: 14, K: 64, R: 3, S: 3, Stride: 1, Pad: 1}, // reference CNN, layer 2
		{N: 3, C: 3, H: 7, W: 9, K: 5, R: 3, S: 2, Stride: 2, Pad: 1},
		{N: 1, C: 4, H: 5, W: 5, K: 3, R: 5, S: 5, Stride: 1, Pad: 2},
		{N: 2, C: 2, H: 8, W: 6, K: 7, R: 1, S: 1, Stride: 3, Pad: 0},
		{N: 1, C: 5, H: 6, W: 7, K: 2, R: 4, S: 3, Stride: 2, Pad: 0},
		{N: 2, C: 2, H: 7, W: 9, K: 16, R: 3, S: 3, Stride: 1, Pad: 1}, // odd output, channels-last unpooling
	}
}

func convName(c Conv2D) string {
	return fmt.Sprintf("n%d_c%d_%dx%d_k%d_%dx%d_s%d_p%d", c.N, c.C, c.H, c.W, c.K, c.R, c.S, c.Stride, c.Pad)
}

func randomSigned(rng *rand.Rand, n int) []float32 { return randomMatrix(rng, 1, n) }

// closeRel reports whether got is within a relative-plus-absolute float32 tolerance of want.
func closeRel(got, want float32, scale float64) bool {
	return math.Abs(float64(got-want)) <= 1e-5*scale+1e-5*math.Abs(float64(want))
}

func TestConv2DForwardMatchesReference(t *testing.T) {
	for i, c := range convCases() {
		t.Run(convName(c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			x := randomSigned(rng, c.N*c.C*c.H*c.W)
			w := randomSigned(rng, c.K*c.C*c.R*c.S)
			bias := randomSigned(rng, c.K)
			n := c.N * c.K * c.OutH() * c.OutW()
			got, want := make([]float32, n), make([]float32, n)
			if err := Conv2DForward(c, x, w, bias, got, make([]float32, c.ScratchSize())); err != nil {
				t.Fatal(err)
			}
			if err := Conv2DForwardReference(c, x, w, bias, want); err != nil {
				t.Fatal(err)
			}
			scale := 2.25 * float64(c.C*c.R*c.S+1)
			for j := range got {
				if !closeRel(got[j], want[j], scale) {
					t.Fatalf("y[%d] = %g, reference %g", j, got[j], want[j])
				}
			}
		})
	}
}

func TestConv2DBackwardMatchesReference(t *testing.T) {
	for i, c := range convCases() {
		t.Run(convName(c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 12))
			x := randomSigned(rng, c.N*c.C*c.H*c.W)
			w := randomSigned(rng, c.K*c.C*c.R*c.S)
			dy := randomSigned(rng, c.N*c.K*c.OutH()*c.OutW())
			dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.K)
			rx, rw, rb := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.K)
			for j := range dx {
				dx[j] = float32(math.NaN()) // must be overwritten, not accumulated into
			}
			if err := Conv2DBackward(c, x, w, dy, dx, dw, db, make([]float32, c.ScratchSize())); err != nil {
				t.Fatal(err)
			}
			if err := Conv2DBackwardReference(c, x, w, dy, rx, rw, rb); err != nil {
				t.Fatal(err)
			}
			compare := func(name string, got, want []float32, terms int) {
				t.Helper()
				for j := range got {
					if !closeRel(got[j], want[j], 2.25*float64(terms)) {
						t.Fatalf("%s[%d] = %g, reference %g", name, j, got[j], want[j])
					}
				}
			}
			compare("dx", dx, rx, c.K*c.R*c.S)
			compare("dw", dw, rw, c.N*c.OutH()*c.OutW())
			compare("db", db, rb, c.N*c.OutH()*c.OutW())
		})
	}
}

// TestConv2DGradientFiniteDifferences checks Conv2DBackward against central differences
// of the loss L = Σ y·g computed with Conv2DForward, at sampled entries of x, w and bias.
func TestConv2DGradientFiniteDifferences(t *testing.T) {
	for i, c := range convCases()[3:] {
		t.Run(convName(c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 13))
			x := randomSigned(rng, c.N*c.C*c.H*c.W)
			w := randomSigned(rng, c.K*c.C*c.R*c.S)
			bias := randomSigned(rng, c.K)
			g := randomSigned(rng, c.N*c.K*c.OutH()*c.OutW())
			col := make([]float32, c.ScratchSize())
			y := make([]float32, len(g))
			loss := func() float64 {
				if err := Conv2DForward(c, x, w, bias, y, col); err != nil {
					t.Fatal(err)
				}
				var s float64
				for j := range y {
					s += float64(y[j]) * float64(g[j])
				}
				return s
			}
			dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.K)
			if err := Conv2DBackward(c, x, w, g, dx, dw, db, col); err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				name string
				v    []float32
				grad []float32
			}{{"x", x, dx}, {"w", w, dw}, {"bias", bias, db}} {
				for range 12 {
					j := rng.IntN(len(p.v))
					const h = 1.0 / 64
					orig := p.v[j]
					p.v[j] = orig + h
					up := loss()
					p.v[j] = orig - h
					down := loss()
					p.v[j] = orig
					num := (up - down) / (2 * h)
					if math.Abs(num-float64(p.grad[j])) > 2e-3*(1+math.Abs(num)) {
						t.Fatalf("d loss / d %s[%d]: analytic %g, finite difference %g", p.name, j, p.grad[j], num)
					}
				}
			}
		})
	}
}

// TestIm2colCol2imAdjoint checks <Im2col(x), v> = <x, Col2im(v)>, the property the
// backward pass relies on.
func TestIm2colCol2imAdjoint(t *testing.T) {
	for i, c := range convCases() {
		t.Run(convName(c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 14))
			x := randomSigned(rng, c.C*c.H*c.W)
			v := randomSigned(rng, c.ColSize())
			col := make([]float32, c.ColSize())
			Im2col(c, x, col)
			back := make([]float32, len(x))
			Col2im(c, v, back)
			var lhs, rhs float64
			for j := range col {
				lhs += float64(col[j]) * float64(v[j])
			}
			for j := range x {
				rhs += float64(x[j]) * float64(back[j])
			}
			if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
				t.Fatalf("<im2col(x), v> = %g, <x, col2im(v)> = %g", lhs, rhs)
			}
		})
	}
}

func TestConv2DThreadsBitIdentical(t *testing.T) {
	c := convCases()[2]
	rng := rand.New(rand.NewPCG(5, 15))
	x := randomSigned(rng, c.N*c.C*c.H*c.W)
	w := randomSigned(rng, c.K*c.C*c.R*c.S)
	dy := randomSigned(rng, c.N*c.K*c.OutH()*c.OutW())
	run := func(threads int) (y, dx, dw, db []float32) {
		SetThreads(threads)
		defer SetThreads(0)
		col := make([]float32, c.ScratchSize())
		y, dx, dw, db = make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.K)
		if err := Conv2DForward(c, x, w, nil, y, col); err != nil {
			t.Fatal(err)
		}
		if err := Conv2DBackward(c, x, w, dy, dx, dw, db, col); err != nil {
			t.Fatal(err)
		}
		return y, dx, dw, db
	}
	y1, dx1, dw1, db1 := run(1)
	for _, threads := range []int{2, 3, 4} {
		y, dx, dw, db := run(threads)
		if !slices.Equal(y, y1) || !slices.Equal(dx, dx1) || !slices.Equal(dw, dw1) || !slices.Equal(db, db1) {
			t.Fatalf("threads=%d: results differ from 1 thread", threads)
		}
	}
	// The geometry's own setting overrides the package's.
	c.Threads = 1
	y, dx, dw, db := run(3)
	if !slices.Equal(y, y1) || !slices.Equal(dx, dx1) || !slices.Equal(dw, dw1) || !slices.Equal(db, db1) {
		t.Fatal("Conv2D.Threads=1 under SetThreads(3): results differ")
	}
}

func TestConv2DRejectsBadInput(t *testing.T) {
	good := Conv2D{N: 1, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3, Stride: 1, Pad: 0}
	tests := []struct {
		name string
		c    Conv2D
		x    int
	}{
		{"zero batch", Conv2D{N: 0, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3, Stride: 1}, 0},
		{"zero stride", Conv2D{N: 1, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3}, 16},
		{"negative pad", Conv2D{N: 1, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3, Stride: 1, Pad: -1}, 16},
		{"kernel larger than input", Conv2D{N: 1, C: 1, H: 2, W: 4, K: 1, R: 3, S: 3, Stride: 1}, 8},
		{"short x", good, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			err := Conv2DForward(c, make([]float32, tt.x), make([]float32, 9), nil, make([]float32, 4), make([]float32, 36))
			if !errorsIsShape(err) {
				t.Fatalf("got %v, want an error wrapping ErrShape", err)
			}
		})
	}
}
