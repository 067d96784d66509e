package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// im2colReference is Im2col entry by entry, from its definition.
func im2colReference(c Conv2D, x, col []float32) {
	oh, ow := c.OutH(), c.OutW()
	row := 0
	for ch := range c.C {
		for r := range c.R {
			for s := range c.S {
				for oy := range oh {
					for ox := range ow {
						iy, ix := oy*c.Stride-c.Pad+r, ox*c.Stride-c.Pad+s
						v := float32(0)
						if iy >= 0 && iy < c.H && ix >= 0 && ix < c.W {
							v = x[(ch*c.H+iy)*c.W+ix]
						}
						col[(row*oh+oy)*ow+ox] = v
					}
				}
				row++
			}
		}
	}
}

// col2imReference is Col2im entry by entry, in the order Im2col's rows are laid out.
func col2imReference(c Conv2D, col, dx []float32) {
	oh, ow := c.OutH(), c.OutW()
	row := 0
	for ch := range c.C {
		for r := range c.R {
			for s := range c.S {
				for oy := range oh {
					for ox := range ow {
						iy, ix := oy*c.Stride-c.Pad+r, ox*c.Stride-c.Pad+s
						if iy >= 0 && iy < c.H && ix >= 0 && ix < c.W {
							dx[(ch*c.H+iy)*c.W+ix] += col[(row*oh+oy)*ow+ox]
						}
					}
				}
				row++
			}
		}
	}
}

// im2colCases add to convCases the shapes that exercise the shifted-row path's edges:
// wide kernels (several wrapped entries a row), tall images (several bands), padding
// wider than the kernel reaches, and 1-wide images.
func im2colCases() []Conv2D {
	cases := convCases()
	for _, c := range []Conv2D{
		{C: 2, H: 9, W: 9, R: 7, S: 7, Pad: 3},
		{C: 1, H: 150, W: 5, R: 3, S: 3, Pad: 1},
		{C: 1, H: 70, W: 3, R: 1, S: 129, Pad: 64},
		{C: 3, H: 4, W: 4, R: 3, S: 5, Pad: 2},
		{C: 1, H: 3, W: 1, R: 3, S: 1, Pad: 1},
		{C: 2, H: 6, W: 6, R: 5, S: 3, Pad: 1},
		{C: 2, H: 5, W: 40, R: 3, S: 5, Pad: 2},
		{C: 1, H: 4, W: 33, R: 9, S: 9, Pad: 4},
		{C: 2, H: 1, W: 4, R: 5, S: 5, Pad: 2}, // rows read only padding above and below
		{C: 1, H: 2, W: 2, R: 2, S: 2, Pad: 1},
		{C: 2, H: 40, W: 30, R: 3, S: 3, Pad: 1}, // a plane too large for the flat kernels' tables
		{C: 3, H: 16, W: 16, R: 3, S: 3, Pad: 1}, // whole chunks only
		{C: 2, H: 5, W: 3, R: 4, S: 3, Pad: 1},   // more output rows than input rows
	} {
		c.N, c.K, c.Stride = 1, 1, 1
		cases = append(cases, c)
	}
	return cases
}

// TestIm2colCol2imMatchReference checks both layouts bit for bit against the entry-by-entry
// definitions: the shifted-row path, with its vector kernels and without, and the general
// one alike.
func TestIm2colCol2imMatchReference(t *testing.T) {
	forShiftedVersions(func(name string) { t.Run(name, testIm2colCol2imMatchReference) })
}

// forShiftedVersions calls f with each version of the shifted-row path this CPU runs (the
// flat vector kernels, the per-row ones, Go), named "vector=…", and restores the settings.
func forShiftedVersions(f func(name string)) {
	savedVector, savedFlat := shiftedVector, shiftedFlat
	defer func() { shiftedVector, shiftedFlat = savedVector, savedFlat }()
	for _, v := range []struct {
		name         string
		vector, flat bool
	}{{"flat", true, true}, {"rows", true, false}, {"false", false, false}} {
		if v.vector && !savedVector || v.flat && !savedFlat {
			continue
		}
		shiftedVector, shiftedFlat = v.vector, v.flat
		f("vector=" + v.name)
	}
}

func testIm2colCol2imMatchReference(t *testing.T) {
	for i, c := range im2colCases() {
		t.Run(fmt.Sprintf("%s_shifted=%t", convName(c), c.shiftedRows()), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 41))
			x := randomSigned(rng, c.C*c.H*c.W)
			got, want := randomSigned(rng, c.ColSize()), make([]float32, c.ColSize()) // got starts dirty
			Im2col(c, x, got)
			im2colReference(c, x, want)
			assertBits(t, "im2col", got, want)

			col := randomSigned(rng, c.ColSize())
			base := randomSigned(rng, len(x))
			gotDx, wantDx := append([]float32(nil), base...), append([]float32(nil), base...)
			Col2im(c, col, gotDx)
			col2imReference(c, col, wantDx)
			assertBits(t, "col2im", gotDx, wantDx)
		})
	}
}

func assertBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for j := range want {
		if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
			t.Fatalf("%s[%d] = %g, want %g", what, j, got[j], want[j])
		}
	}
}

// BenchmarkIm2colCol2im times both layouts on the reference CNN's second convolution (one
// image, 32×14×14, 3×3, pad 1), with the vector kernels and without.
func BenchmarkIm2colCol2im(b *testing.B) {
	c := Conv2D{N: 1, C: 32, H: 14, W: 14, K: 64, R: 3, S: 3, Pad: 1, Stride: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	x, col := randomSigned(rng, c.C*c.H*c.W), randomSigned(rng, c.ColSize())
	forShiftedVersions(func(name string) {
		b.Run("im2col/"+name, func(b *testing.B) {
			for b.Loop() {
				Im2col(c, x, col)
			}
		})
		b.Run("col2im/"+name, func(b *testing.B) {
			for b.Loop() {
				Col2im(c, col, x)
			}
		})
	})
}
