package datasets

import (
	"math"
	"reflect"
	"slices"
	"testing"
)

func wdbcLabels(t *testing.T) []int32 {
	t.Helper()
	tab, err := LoadTabularCSV("testdata/wdbc.csv", TabularOptions{Label: "diagnosis", Classes: []string{"B", "M"}})
	if err != nil {
		t.Fatal(err)
	}
	return tab.Y
}

// synthetic labels: class c has sizes[c] rows, interleaved.
func syntheticLabels(sizes ...int) []int32 {
	var y []int32
	left := slices.Clone(sizes)
	for more := true; more; {
		more = false
		for c := range left {
			if left[c] > 0 {
				y = append(y, int32(c))
				left[c]--
				more = true
			}
		}
	}
	return y
}

func TestStratifiedSplitProperties(t *testing.T) {
	tests := []struct {
		name    string
		y       []int32
		classes int
		fracs   [3]float64
	}{
		{"wdbc 70/15/15", wdbcLabels(t), 2, [3]float64{.70, .15, .15}},
		{"three classes 60/20/20", syntheticLabels(100, 37, 5), 3, [3]float64{.6, .2, .2}},
		{"tiny classes", syntheticLabels(3, 4, 10), 3, [3]float64{.70, .15, .15}},
		{"no test part", syntheticLabels(50, 20), 2, [3]float64{.8, .2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := StratifiedSplit(tt.y, tt.classes, tt.fracs[0], tt.fracs[1], tt.fracs[2], 42)
			if err != nil {
				t.Fatal(err)
			}
			parts := [][]int{s.Train, s.Validation, s.Test}
			seen := make([]int, len(tt.y))
			for _, p := range parts {
				if !slices.IsSorted(p) {
					t.Error("part not sorted")
				}
				for _, r := range p {
					seen[r]++
				}
			}
			for r, n := range seen {
				if n != 1 {
					t.Fatalf("row %d appears in %d parts, want exactly 1", r, n)
				}
			}
			for c := range tt.classes {
				var n int
				for _, y := range tt.y {
					if int(y) == c {
						n++
					}
				}
				for p, part := range parts {
					var got int
					for _, r := range part {
						if int(tt.y[r]) == c {
							got++
						}
					}
					want := float64(n) * tt.fracs[p]
					if n >= 10 && math.Abs(float64(got)-want) > 1 {
						t.Errorf("class %d part %d: %d rows, want %.2f ± 1", c, p, got, want)
					}
					if n >= 3 && tt.fracs[p] > 0 && got == 0 {
						t.Errorf("class %d (%d rows) missing from part %d", c, n, p)
					}
				}
			}
		})
	}
}

func TestStratifiedSplitWDBCCounts(t *testing.T) {
	// 357 B: 249.9/53.55/53.55 → 250/54/53; 212 M: 148.4/31.8/31.8 → 148/32/32.
	s, err := StratifiedSplit(wdbcLabels(t), 2, .70, .15, .15, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Train) != 398 || len(s.Validation) != 86 || len(s.Test) != 85 {
		t.Errorf("sizes %d/%d/%d, want 398/86/85", len(s.Train), len(s.Validation), len(s.Test))
	}
}

func TestStratifiedSplitDeterministic(t *testing.T) {
	y := wdbcLabels(t)
	a, err := StratifiedSplit(y, 2, .7, .15, .15, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, err := StratifiedSplit(slices.Clone(y), 2, .7, .15, .15, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed gave different splits")
	}
	c, err := StratifiedSplit(y, 2, .7, .15, .15, 43)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Test, c.Test) {
		t.Error("seeds 42 and 43 gave the same test split")
	}
}

func TestStratifiedSplitErrors(t *testing.T) {
	tests := []struct {
		name    string
		y       []int32
		classes int
		f       [3]float64
	}{
		{"sum below 1", []int32{0, 1}, 2, [3]float64{.7, .15, .1}},
		{"negative", []int32{0, 1}, 2, [3]float64{1.2, -.1, -.1}},
		{"NaN", []int32{0, 1}, 2, [3]float64{math.NaN(), .5, .5}},
		{"label out of range", []int32{0, 2}, 2, [3]float64{.7, .15, .15}},
		{"negative label", []int32{-1}, 2, [3]float64{.7, .15, .15}},
		{"no classes", nil, 0, [3]float64{.7, .15, .15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := StratifiedSplit(tt.y, tt.classes, tt.f[0], tt.f[1], tt.f[2], 1); err == nil {
				t.Error("no error")
			}
		})
	}
}
