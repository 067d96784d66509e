package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func errorsIsShape(err error) bool { return errors.Is(err, ErrShape) }

var poolShapes = [][4]int{{1, 1, 2, 2}, {2, 3, 28, 28}, {1, 2, 7, 9}, {3, 1, 5, 4}, {128, 32, 28, 28},
	{5, 7, 27, 29}, {2, 2, 4, 64}, {2, 3, 6, 70}, {1, 2, 3, 33}, {2, 1, 4, 100}}

func TestMaxPool2x2ThreadsBitIdentical(t *testing.T) {
	n, c, h, w := 16, 8, 28, 28
	x := randomSigned(rand.New(rand.NewPCG(4, 23)), n*c*h*w)
	dy := randomSigned(rand.New(rand.NewPCG(5, 23)), n*c*(h/2)*(w/2))
	run := func(threads int) ([]float32, []int32, []float32) {
		SetThreads(threads)
		defer SetThreads(0)
		y, arg, dx := make([]float32, len(dy)), make([]int32, len(dy)), make([]float32, len(x))
		if err := MaxPool2x2Forward(n, c, h, w, x, y, arg); err != nil {
			t.Fatal(err)
		}
		if err := MaxPool2x2Backward(n, c, h, w, dy, arg, dx); err != nil {
			t.Fatal(err)
		}
		return y, arg, dx
	}
	y1, a1, dx1 := run(1)
	for _, threads := range []int{2, 3, 5} {
		y, a, dx := run(threads)
		if !slices.Equal(y, y1) || !slices.Equal(a, a1) || !slices.Equal(dx, dx1) {
			t.Fatalf("threads=%d: results differ from 1 thread", threads)
		}
	}
}

func TestMaxPool2x2MatchesReference(t *testing.T) {
	for _, name := range []string{"avx512", "go"} {
		t.Run(name, func(t *testing.T) {
			v, ok := poolVersionByName(name)
			if !ok {
				t.Skipf("the %s max-pool kernel is not available: this CPU lacks its instructions, or the build is not amd64 or uses the purego tag", name)
			}
			saved := pool
			pool = v
			defer func() { pool = saved }()
			testMaxPoolShapes(t)
		})
	}
}

func poolVersionByName(name string) (poolVersion, bool) {
	for _, v := range poolVersions() {
		if v.name == name {
			return v, true
		}
	}
	return poolVersion{}, false
}

func testMaxPoolShapes(t *testing.T) {
	for i, s := range poolShapes {
		n, c, h, w := s[0], s[1], s[2], s[3]
		t.Run(fmt.Sprintf("%dx%dx%dx%d", n, c, h, w), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 21))
			x := randomSigned(rng, n*c*h*w)
			// Ties: copy some values into their right-hand neighbours; the first must win.
			for j := 0; j+1 < len(x); j += 7 {
				x[j+1] = x[j]
			}
			// NaNs, alone and two to a window: a NaN wins, the last of them.
			for j := 5; j+1 < len(x); j += 97 {
				x[j] = float32(math.NaN())
				if j%2 == 0 {
					x[j+1] = float32(math.NaN())
				}
			}
			want, wantArg := MaxPoolReference(n, c, h, w, 2, 2, x)
			y, arg := make([]float32, len(want)), make([]int32, len(want))
			if err := MaxPool2x2Forward(n, c, h, w, x, y, arg); err != nil {
				t.Fatal(err)
			}
			for j := range y {
				same := y[j] == want[j] || math.IsNaN(float64(y[j])) && math.IsNaN(float64(want[j]))
				if !same || int(arg[j]) != wantArg[j] {
					t.Fatalf("y[%d] = %g at %d, reference %g at %d", j, y[j], arg[j], want[j], wantArg[j])
				}
			}
			dy := randomSigned(rng, len(y))
			dx := make([]float32, len(x))
			if err := MaxPool2x2Backward(n, c, h, w, dy, arg, dx); err != nil {
				t.Fatal(err)
			}
			ref := make([]float32, len(x))
			for j, k := range wantArg {
				ref[k] += dy[j]
			}
			for j := range dx {
				if math.Float32bits(dx[j]) != math.Float32bits(ref[j]) {
					t.Fatalf("dx[%d] = %g, reference %g", j, dx[j], ref[j])
				}
			}
		})
	}
}

func TestMaxPool2x2NaNWins(t *testing.T) {
	nan := float32(math.NaN())
	for _, v := range poolVersions() {
		t.Run(v.name, func(t *testing.T) {
			saved := pool
			pool = v
			defer func() { pool = saved }()
			y, arg := make([]float32, 1), make([]int32, 1)
			if err := MaxPool2x2Forward(1, 1, 2, 2, []float32{1, nan, 3, nan}, y, arg); err != nil {
				t.Fatal(err)
			}
			if !math.IsNaN(float64(y[0])) || arg[0] != 3 {
				t.Fatalf("pooled %g at %d, want NaN at 3", y[0], arg[0])
			}
		})
	}
}

// TestMaxPool2x2GradientFiniteDifferences checks the backward pass against central
// differences of L = Σ y·g. Inputs are spaced at least 1/16 apart so a step of 1/256 never
// changes which element is the maximum.
func TestMaxPool2x2GradientFiniteDifferences(t *testing.T) {
	n, c, h, w := 2, 2, 6, 5
	rng := rand.New(rand.NewPCG(3, 22))
	perm := rng.Perm(n * c * h * w)
	x := make([]float32, len(perm))
	for i, p := range perm {
		x[i] = float32(p)/16 - 3
	}
	g := randomSigned(rng, n*c*(h/2)*(w/2))
	y, arg := make([]float32, len(g)), make([]int32, len(g))
	loss := func() float64 {
		if err := MaxPool2x2Forward(n, c, h, w, x, y, arg); err != nil {
			t.Fatal(err)
		}
		var s float64
		for j := range y {
			s += float64(y[j]) * float64(g[j])
		}
		return s
	}
	loss()
	dx := make([]float32, len(x))
	if err := MaxPool2x2Backward(n, c, h, w, g, arg, dx); err != nil {
		t.Fatal(err)
	}
	for j := range x {
		const step = 1.0 / 256
		orig := x[j]
		x[j] = orig + step
		up := loss()
		x[j] = orig - step
		down := loss()
		x[j] = orig
		if num := (up - down) / (2 * step); math.Abs(num-float64(dx[j])) > 1e-4*(1+math.Abs(num)) {
			t.Fatalf("d loss / d x[%d]: analytic %g, finite difference %g", j, dx[j], num)
		}
	}
}

func TestMaxPool2x2RejectsBadInput(t *testing.T) {
	tests := []struct {
		name       string
		n, c, h, w int
		x, y       int
		arg        []int32
	}{
		{"height 1", 1, 1, 1, 4, 4, 0, nil},
		{"short x", 1, 1, 4, 4, 15, 4, make([]int32, 4)},
		{"short y", 1, 1, 4, 4, 16, 3, make([]int32, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MaxPool2x2Forward(tt.n, tt.c, tt.h, tt.w, make([]float32, tt.x), make([]float32, tt.y), tt.arg)
			if !errorsIsShape(err) {
				t.Fatalf("got %v, want an error wrapping ErrShape", err)
			}
		})
	}
	t.Run("argmax out of range", func(t *testing.T) {
		err := MaxPool2x2Backward(1, 1, 2, 2, []float32{1}, []int32{9}, make([]float32, 4))
		if !errorsIsShape(err) {
			t.Fatalf("got %v, want an error wrapping ErrShape", err)
		}
	})
	t.Run("argmax in another plane", func(t *testing.T) {
		err := MaxPool2x2Backward(1, 2, 2, 2, []float32{1, 1}, []int32{0, 0}, make([]float32, 8))
		if !errorsIsShape(err) {
			t.Fatalf("got %v, want an error wrapping ErrShape", err)
		}
	})
}
