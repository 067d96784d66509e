package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// withPool runs f with v as the pooling version.
func withPool(v poolVersion, f func()) {
	saved := pool
	pool = v
	defer func() { pool = saved }()
	f()
}

// poolTestData is pooling input or gradient with what the kernels must get exactly right:
// ties, ±0, NaNs of both signs and several payloads (a signalling one included), ±Inf.
func poolTestData(rng *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800001), math.Float32frombits(0x7fc12345)}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(3) == 0 {
			x[i] = special[rng.IntN(len(special))]
		} else {
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

// poolTestShapes are random planes from 2×2 to 40×40, odd and even, and the widths where the
// AVX-512 walk changes: two rows to a block up to 16 inputs, whole blocks of 32 inputs.
func poolTestShapes(rng *rand.Rand) [][4]int {
	shapes := [][4]int{{1, 32, 28, 28}, {1, 64, 14, 14}, {2, 3, 16, 16}, {1, 2, 5, 17}, {2, 2, 3, 15},
		{1, 3, 4, 32}, {1, 2, 5, 33}, {2, 1, 7, 34}, {1, 1, 2, 65}, {1, 2, 9, 2}, {1, 1, 2, 3}}
	for range 40 {
		shapes = append(shapes, [4]int{1 + rng.IntN(2), 1 + rng.IntN(4), 2 + rng.IntN(39), 2 + rng.IntN(39)})
	}
	return shapes
}

// reluPoolReference is MaxPoolReference followed by the ReLU as MaxPool2x2ReLUForward
// defines it: an output not > 0 (NaN and −0 included) becomes +0 with argmax −1.
func reluPoolReference(n, c, h, w int, x []float32, relu bool) ([]float32, []int32) {
	y, arg := MaxPoolReference(n, c, h, w, 2, 2, x)
	a := make([]int32, len(arg))
	for i := range y {
		a[i] = int32(arg[i])
		if relu && !(y[i] > 0) {
			y[i], a[i] = 0, -1
		}
	}
	return y, a
}

// TestMaxPoolVersionsMatchReference checks every version's forward, with and without the
// ReLU, against the reference, bit for bit: values, NaN payloads and argmax. The one
// exception is older than the AVX-512 kernels: without the ReLU the Go version's y is
// Go's max, not the argmax's element, which differs in a window with +0 and −0 (max gives
// +0) or several NaNs (another payload); its argmax is the same.
func TestMaxPoolVersionsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 31))
	for _, s := range poolTestShapes(rng) {
		n, c, h, w := s[0], s[1], s[2], s[3]
		x := poolTestData(rng, n*c*h*w)
		for _, relu := range []bool{false, true} {
			want, wantArg := reluPoolReference(n, c, h, w, x, relu)
			for _, v := range poolVersions() {
				y, arg := randomSigned(rng, len(want)), make([]int32, len(want))
				withPool(v, func() {
					if err := maxPool2x2Forward(n, c, h, w, x, y, arg, relu); err != nil {
						t.Fatal(err)
					}
				})
				for i := range want {
					goMax := v.name == "go" && (y[i] == want[i] || y[i] != y[i] && want[i] != want[i])
					if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !goMax || arg[i] != wantArg[i] {
						t.Fatalf("%s %dx%dx%dx%d relu=%t: y[%d] = %g (%#x) at %d, want %g (%#x) at %d", v.name, n, c, h, w, relu,
							i, y[i], math.Float32bits(y[i]), arg[i], want[i], math.Float32bits(want[i]), wantArg[i])
					}
				}
			}
		}
	}
}

// TestMaxPoolVersionsPlaneRanges checks that a version's forward and backward of planes
// [lo,hi), a thread's part, write those planes as the whole call does and nothing else.
func TestMaxPoolVersionsPlaneRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 31))
	planes, h, w := 7, 9, 13
	oh, ow := h/2, w/2
	x := poolTestData(rng, planes*h*w)
	dy := poolTestData(rng, planes*oh*ow)
	want, wantArg := reluPoolReference(1, planes, h, w, x, true)
	wantDx := make([]float32, len(x))
	withPool(goPool, func() {
		if err := MaxPool2x2ReLUBackward(1, planes, h, w, dy, wantArg, wantDx); err != nil {
			t.Fatal(err)
		}
	})
	for _, v := range poolVersions() {
		for _, r := range [][2]int{{0, 1}, {2, 5}, {6, 7}, {1, 7}} {
			lo, hi := r[0], r[1]
			y, arg, dx := make([]float32, len(want)), make([]int32, len(want)), make([]float32, len(x))
			for i := range y {
				y[i], arg[i] = 7, 7
			}
			for i := range dx {
				dx[i] = 7
			}
			p := &poolCall{poolArgs: poolArgs{planes: planes, h: h, w: w, relu: true, x: x, y: y, arg: arg, v: v}}
			p.planeRange(lo, hi)
			p.poolArgs = poolArgs{planes: planes, h: h, w: w, backward: true, relu: true, dy: dy, dx: dx, arg: wantArg, v: v}
			p.planeRange(lo, hi)
			if p.bad.Load() != 0 {
				t.Fatalf("%s planes [%d,%d): argmax[%d] reported bad", v.name, lo, hi, p.bad.Load()-1)
			}
			for i := range y {
				in := i >= lo*oh*ow && i < hi*oh*ow
				if in && (math.Float32bits(y[i]) != math.Float32bits(want[i]) || arg[i] != wantArg[i]) || !in && (y[i] != 7 || arg[i] != 7) {
					t.Fatalf("%s planes [%d,%d): y[%d] = %g at %d", v.name, lo, hi, i, y[i], arg[i])
				}
			}
			for i := range dx {
				in := i >= lo*h*w && i < hi*h*w
				if in && math.Float32bits(dx[i]) != math.Float32bits(wantDx[i]) || !in && dx[i] != 7 {
					t.Fatalf("%s planes [%d,%d): dx[%d] = %g, want %g", v.name, lo, hi, i, dx[i], wantDx[i])
				}
			}
		}
	}
}

// TestMaxPoolReLUBackwardVersionsMatchScatter checks every version's ReLU backward against
// the scatter (the Go version), bit for bit, on the forward's argmax and on argmax the forward
// never gives but the scatter accepts: elsewhere in the plane, two onto one element, −1.
// dx starts dirty: every element, a trailing odd row or column's included, is written.
func TestMaxPoolReLUBackwardVersionsMatchScatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 31))
	for _, s := range poolTestShapes(rng) {
		n, c, h, w := s[0], s[1], s[2], s[3]
		x := poolTestData(rng, n*c*h*w)
		dy := poolTestData(rng, n*c*(h/2)*(w/2))
		_, arg := reluPoolReference(n, c, h, w, x, true)
		moved := append([]int32(nil), arg...)
		hw, ohw := h*w, (h/2)*(w/2)
		for i := range moved {
			switch rng.IntN(8) {
			case 0:
				moved[i] = int32(i/ohw*hw + rng.IntN(hw))
			case 1:
				moved[i] = -1
			case 2:
				if i > 0 && (i-1)/ohw == i/ohw {
					moved[i] = moved[i-1]
				}
			}
		}
		for _, a := range [][]int32{arg, moved} {
			want := make([]float32, len(x))
			withPool(goPool, func() {
				if err := MaxPool2x2ReLUBackward(n, c, h, w, dy, a, want); err != nil {
					t.Fatal(err)
				}
			})
			// The gradient as the ReLU pooling defines it; where two NaNs meet, which payload a
			// sum keeps depends on the compiler's operand order, so only NaN-ness is checked.
			ref := make([]float32, len(x))
			for i, k := range a {
				if k >= 0 {
					ref[k] += dy[i]
				}
			}
			for i := range ref {
				if math.Float32bits(want[i]) != math.Float32bits(ref[i]) && (want[i] == want[i] || ref[i] == ref[i]) {
					t.Fatalf("scatter %dx%dx%dx%d: dx[%d] = %g, want %g", n, c, h, w, i, want[i], ref[i])
				}
			}
			for _, v := range poolVersions() {
				dx := randomSigned(rng, len(x))
				withPool(v, func() {
					if err := MaxPool2x2ReLUBackward(n, c, h, w, dy, a, dx); err != nil {
						t.Fatal(err)
					}
				})
				assertBits(t, fmt.Sprintf("%s %dx%dx%dx%d dx", v.name, n, c, h, w), dx, want)
			}
		}
	}
}

// TestMaxPoolReLUBackwardReportsBadArgmax checks that every version still reports the
// first argmax outside its plane (or below −1) by index, after planes and windows that are
// fine.
func TestMaxPoolReLUBackwardReportsBadArgmax(t *testing.T) {
	n, c, h, w := 1, 4, 6, 14
	rng := rand.New(rand.NewPCG(12, 31))
	x := poolTestData(rng, n*c*h*w)
	dy := poolTestData(rng, n*c*(h/2)*(w/2))
	_, arg := reluPoolReference(n, c, h, w, x, true)
	ohw := (h / 2) * (w / 2)
	for _, bad := range []struct {
		i   int
		val int32
	}{{2*ohw + 5, int32(3 * h * w)}, {ohw, 0}, {3*ohw + 2, -2}, {1, int32(n * c * h * w)}} {
		a := append([]int32(nil), arg...)
		a[bad.i] = bad.val
		a[len(a)-1] = -7 // a later bad argmax: not the one reported
		for _, v := range poolVersions() {
			var err error
			withPool(v, func() { err = MaxPool2x2ReLUBackward(n, c, h, w, dy, a, make([]float32, len(x))) })
			if !errorsIsShape(err) || !strings.Contains(err.Error(), fmt.Sprintf("argmax[%d] = %d ", bad.i, bad.val)) {
				t.Errorf("%s: argmax[%d] = %d: got %v, want an ErrShape naming it", v.name, bad.i, bad.val, err)
			}
		}
	}
}
