package datasets

import (
	"math"
	"testing"
)

func TestFitStandardizer(t *testing.T) {
	// 4 rows × 3 features; fitted on rows 0, 1 and 3 only.
	x := []float32{
		1, 10, 5,
		3, 20, 5,
		1000, -1000, 1000, // row 2 is not fitted: it must not leak in
		5, 30, 5,
	}
	mean, std := FitStandardizer(x, 3, []int{0, 1, 3})
	// feature 0: 1,3,5 → mean 3, population var (4+0+4)/3 = 8/3.
	// feature 1: 10,20,30 → mean 20, var 200/3.  feature 2: constant → std 1.
	wantMean := []float32{3, 20, 5}
	wantStd := []float32{float32(math.Sqrt(8.0 / 3)), float32(math.Sqrt(200.0 / 3)), 1}
	for j := range 3 {
		if mean[j] != wantMean[j] || std[j] != wantStd[j] {
			t.Errorf("feature %d: mean %v std %v, want %v %v", j, mean[j], std[j], wantMean[j], wantStd[j])
		}
	}

	Standardize(x, 3, mean, std)
	want := []float32{
		-2 / wantStd[0], -10 / wantStd[1], 0,
		0, 0, 0,
		997 / wantStd[0], -1020 / wantStd[1], 995,
		2 / wantStd[0], 10 / wantStd[1], 0,
	}
	for i := range x {
		if math.Abs(float64(x[i]-want[i])) > 1e-6*math.Max(1, math.Abs(float64(want[i]))) {
			t.Errorf("x[%d] = %v, want %v", i, x[i], want[i])
		}
	}
}

func TestFitStandardizerEdgeCases(t *testing.T) {
	mean, std := FitStandardizer([]float32{1, 2}, 2, nil)
	if mean[0] != 0 || mean[1] != 0 || std[0] != 1 || std[1] != 1 {
		t.Errorf("no rows: mean %v std %v, want 0 and 1", mean, std)
	}
	// Large offset, tiny spread: a float32 one-pass formula would lose it.
	x := []float32{1e4, 1e4 + 1, 1e4 + 2}
	mean, std = FitStandardizer(x, 1, []int{0, 1, 2})
	if mean[0] != 1e4+1 || math.Abs(float64(std[0])-math.Sqrt(2.0/3)) > 1e-6 {
		t.Errorf("mean %v std %v, want %v %v", mean[0], std[0], 1e4+1, math.Sqrt(2.0/3))
	}
}

func TestStandardizeWDBCTrainingRows(t *testing.T) {
	tab, err := LoadTabularCSV("testdata/wdbc.csv", TabularOptions{Label: "diagnosis", Classes: []string{"B", "M"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := StratifiedSplit(tab.Y, 2, .7, .15, .15, 42)
	if err != nil {
		t.Fatal(err)
	}
	f := len(tab.Features)
	mean, std := FitStandardizer(tab.X, f, s.Train)
	Standardize(tab.X, f, mean, std)
	// After standardising, the training rows have mean 0 and std 1 per feature.
	m2, s2 := FitStandardizer(tab.X, f, s.Train)
	for j := range f {
		if math.Abs(float64(m2[j])) > 1e-5 || math.Abs(float64(s2[j])-1) > 1e-5 {
			t.Errorf("feature %s: mean %v std %v after standardising", tab.Features[j], m2[j], s2[j])
		}
	}
}
