package metrics

import (
	"math"
	"testing"
)

func TestBrierHandComputed(t *testing.T) {
	cases := []struct {
		name string
		p    []float32
		y    []int32
		want float64
	}{
		{"mixed", []float32{0.9, 0.2, 0.6, 0.4}, []int32{1, 0, 0, 1}, (0.01 + 0.04 + 0.36 + 0.36) / 4},
		{"perfect", []float32{1, 0, 1}, []int32{1, 0, 1}, 0},
		{"always wrong", []float32{0, 1}, []int32{1, 0}, 1},
		{"uninformative", []float32{0.5, 0.5}, []int32{1, 0}, 0.25},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Brier(tc.p, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-6 { // float32 inputs
				t.Fatalf("Brier = %g, want %g", got, tc.want)
			}
		})
	}
	if _, err := Brier(nil, nil); err == nil {
		t.Fatal("Brier of nothing succeeded")
	}
}

func TestCalibrationHandComputed(t *testing.T) {
	// Bin [0.1, 0.2): 0.12, 0.18 → mean 0.15, observed ½. Bin [0.5, 0.6): 0.55 → observed 1.
	// Bin [0.9, 1]: 0.95, 1 → mean 0.975, observed ½.
	// ECE = (2·0.35 + 1·0.45 + 2·0.475)/5 = 2.1/5.
	p := []float32{0.12, 0.18, 0.55, 0.95, 1}
	y := []int32{0, 1, 1, 1, 0}
	c, err := Calibrate(p, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Bins) != CalibrationBins {
		t.Fatalf("%d bins, want %d", len(c.Bins), CalibrationBins)
	}
	if !closeStatTol(c.ECE, 2.1/5, 1e-6) {
		t.Fatalf("ECE = %g, want %g", c.ECE, 2.1/5)
	}
	want := map[int]struct {
		count     int
		mean, obs float64
	}{1: {2, 0.15, 0.5}, 5: {1, 0.55, 1}, 9: {2, 0.975, 0.5}}
	for b, bin := range c.Bins {
		if math.Abs(bin.Lower-float64(b)/10) > 1e-12 || math.Abs(bin.Upper-float64(b+1)/10) > 1e-12 {
			t.Errorf("bin %d spans [%g, %g)", b, bin.Lower, bin.Upper)
		}
		w, ok := want[b]
		if !ok {
			if bin.Count != 0 || bin.MeanPredicted.Defined() || bin.ObservedFraction.Defined() {
				t.Errorf("empty bin %d reported %+v", b, bin)
			}
			continue
		}
		if bin.Count != w.count || !closeStatTol(bin.MeanPredicted, w.mean, 1e-6) || !closeStatTol(bin.ObservedFraction, w.obs, 1e-12) {
			t.Errorf("bin %d = %+v, want count %d mean %g observed %g", b, bin, w.count, w.mean, w.obs)
		}
	}
}

// TestCalibrationPerfect builds forecasts that are calibrated by construction: 100
// records at each bin centre c, of which exactly 100·c are positive.
func TestCalibrationPerfect(t *testing.T) {
	var p []float32
	var y []int32
	for b := range CalibrationBins {
		centre := (float64(b) + 0.5) / CalibrationBins
		positives := int(math.Round(100 * centre))
		for i := range 100 {
			p = append(p, float32(centre))
			y = append(y, int32(boolToInt(i < positives)))
		}
	}
	c, err := Calibrate(p, y)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ECE.Defined() || float64(c.ECE) > 1e-6 {
		t.Fatalf("ECE of a calibrated forecast = %g, want ≈ 0", c.ECE)
	}
	// The same forecasts against flipped outcomes are badly calibrated: ECE = mean |2c − 1| = 0.5.
	for i := range y {
		y[i] = 1 - y[i]
	}
	c, _ = Calibrate(p, y)
	if !closeStatTol(c.ECE, 0.5, 1e-6) {
		t.Fatalf("ECE of flipped outcomes = %g, want 0.5", c.ECE)
	}
}

func TestCalibrationBinEdges(t *testing.T) {
	cases := []struct {
		p    float64
		want int
	}{{0, 0}, {0.0999, 0}, {0.1, 1}, {0.5, 5}, {0.95, 9}, {1, 9}}
	for _, tc := range cases {
		if got := calibrationBin(tc.p); got != tc.want {
			t.Errorf("bin of %g = %d, want %d", tc.p, got, tc.want)
		}
	}
}

func closeStatTol(got Stat, want, tol float64) bool {
	return got.Defined() && math.Abs(float64(got)-want) <= tol
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
