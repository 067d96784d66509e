package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestTileKernelsMatchRows checks every version's tile kernels, bit for bit, against the
// Go row functions applied row by row (which TestRowKernelsMatchReference checks), on
// tiles that are a strided window of a larger matrix: the values outside the window
// must not change.
func TestTileKernelsMatchRows(t *testing.T) {
	for _, version := range rowVersions() {
		for _, cols := range []int{1, 7, 8, 9, 31, 32, 33, 40, 64, 100} {
			for _, rows := range []int{1, 3, 17} {
				rng := rand.New(rand.NewPCG(uint64(cols), uint64(rows)))
				ld, off := cols+5, 3
				c := specialFloats(rng, off+rows*ld)
				y := specialFloats(rng, off+rows*ld)
				bias := specialFloats(rng, cols)
				tile := func(m []float32) []float32 { return m[off:] }

				for _, relu := range []bool{false, true} {
					got, want := append([]float32(nil), c...), append([]float32(nil), c...)
					version.biasTile(tile(got), ld, rows, bias, relu)
					for r := range rows {
						biasRowGo(want[off+r*ld:off+r*ld+cols], bias, relu)
					}
					sameRowBits(t, version.name+" bias tile", got, want)
				}

				got, want := append([]float32(nil), c...), append([]float32(nil), c...)
				version.reluMaskTile(tile(y), ld, tile(got), ld, rows, cols)
				for r := range rows {
					row := want[off+r*ld : off+r*ld+cols]
					reluBackwardGo(y[off+r*ld:off+r*ld+cols], row, row)
				}
				sameRowBits(t, version.name+" relu mask tile", got, want)

				sums := specialFloats(rng, cols) // overwritten, not added to
				wantSums := make([]float32, cols)
				version.columnSumsTile(tile(c), ld, rows, sums)
				for r := range rows {
					addRowGo(wantSums, c[off+r*ld:off+r*ld+cols])
				}
				sameRowBits(t, version.name+" column sums tile", sums, wantSums)
			}
		}
	}
}

// TestColumnSumsEpilogueWholeColumns: the epilogue refuses a tile that holds part of a
// column instead of writing partial sums.
func TestColumnSumsEpilogueWholeColumns(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a tile of rows 4 to 8 of 8 was summed as if whole")
		}
	}()
	e := &ColumnSumsEpilogue{Sums: make([]float32, 4), Rows: 8}
	e.Apply(make([]float32, 32), 4, 4, 8, 0, 4)
}
