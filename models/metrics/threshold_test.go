package metrics

import (
	"errors"
	"math"
	"testing"
)

// closeStat compares a reported value with a hand-computed one; want NaN means
// "must be undefined".
func closeStat(got Stat, want float64) bool {
	if math.IsNaN(want) {
		return !got.Defined()
	}
	return got.Defined() && math.Abs(float64(got)-want) < 1e-9
}

func TestOperatingPointHandComputed(t *testing.T) {
	score := []float32{0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1}
	y := []int32{1, 1, 0, 1, 0, 1, 0, 0}
	nan := math.NaN()
	cases := []struct {
		name                               string
		threshold                          float64
		conf                               Confusion
		sens, spec, ppv, npv, f1, acc, jay float64
	}{
		// Called positive: 0.9 0.8 0.7 0.6 0.4 → TP 3, FP 2; 0.3 is a missed positive.
		{"threshold 0.35", 0.35, Confusion{TP: 3, FP: 2, TN: 2, FN: 1}, 0.75, 0.5, 0.6, 2.0 / 3, 6.0 / 9, 5.0 / 8, 0.25},
		// The threshold is inclusive: 0.6 itself is called positive.
		{"threshold equals a score", 0.6, Confusion{TP: 3, FP: 1, TN: 3, FN: 1}, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.5},
		// Nothing called positive: PPV has an empty denominator, F1 is 0/(0+0+4).
		{"above every score", 0.95, Confusion{TP: 0, FP: 0, TN: 4, FN: 4}, 0, 1, nan, 0.5, 0, 0.5, 0},
		// Everything called positive: NPV undefined.
		{"below every score", 0.05, Confusion{TP: 4, FP: 4, TN: 0, FN: 0}, 1, 0, 0.5, nan, 8.0 / 12, 0.5, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op, err := OperatingPointAt(score, y, tc.threshold)
			if err != nil {
				t.Fatal(err)
			}
			if op.Confusion != tc.conf {
				t.Fatalf("confusion %+v, want %+v", op.Confusion, tc.conf)
			}
			checks := []struct {
				name string
				got  Stat
				want float64
			}{
				{"threshold", op.Threshold, tc.threshold}, {"sensitivity", op.Sensitivity, tc.sens},
				{"specificity", op.Specificity, tc.spec}, {"ppv", op.PPV, tc.ppv}, {"npv", op.NPV, tc.npv},
				{"f1", op.F1, tc.f1}, {"accuracy", op.Accuracy, tc.acc}, {"youden_j", op.YoudenJ, tc.jay},
			}
			for _, c := range checks {
				if !closeStat(c.got, c.want) {
					t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestYoudenThreshold(t *testing.T) {
	cases := []struct {
		name  string
		score []float32
		y     []int32
		want  float32
	}{
		// J by threshold: 0.9 → 1/4, 0.8 → −1/12, 0.7 → 1/6, 0.65 → 5/12, 0.3 → 2/3 (max), 0.2 → 1/3, 0.1 → 0.
		{"unique maximum", []float32{0.9, 0.8, 0.7, 0.65, 0.3, 0.2, 0.1}, []int32{1, 0, 1, 1, 1, 0, 0}, 0.3},
		// J = 1/2 at 0.8, 0.6 and 0.3: the highest, most specific, wins.
		{"tied maxima", []float32{0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1}, []int32{1, 1, 0, 1, 0, 1, 0, 0}, 0.8},
		// A positive and a negative share 0.5; J: 0.9 → 1/2, 0.5 → 1 − 1/2 (a tie: the higher wins), 0.1 → 0.
		{"tied scores across classes", []float32{0.9, 0.5, 0.5, 0.1}, []int32{1, 1, 0, 0}, 0.9},
		{"perfect separation", []float32{0.2, 0.35, 0.6, 0.61}, []int32{0, 0, 1, 1}, 0.6},
		// Inverted scores: every threshold has J ≤ 0; J = 0 first at the lowest score.
		{"inverted", []float32{0.9, 0.8, 0.2, 0.1}, []int32{0, 0, 1, 1}, 0.1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := YoudenThreshold(tc.score, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if got != float64(tc.want) {
				t.Fatalf("Youden threshold %g, want %g", got, tc.want)
			}
			// No observed threshold does better.
			best, _ := OperatingPointAt(tc.score, tc.y, got)
			for _, s := range tc.score {
				op, _ := OperatingPointAt(tc.score, tc.y, float64(s))
				if op.YoudenJ > best.YoudenJ+1e-12 {
					t.Fatalf("threshold %g has J %g above the chosen %g", s, op.YoudenJ, best.YoudenJ)
				}
			}
		})
	}
	if _, err := YoudenThreshold([]float32{0.3, 0.4}, []int32{1, 1}); !errors.Is(err, ErrOneClass) {
		t.Fatalf("one class: %v, want ErrOneClass", err)
	}
	if _, err := OperatingPointAt([]float32{0.3}, []int32{1, 0}, 0.5); !errors.Is(err, ErrShape) {
		t.Fatalf("length mismatch: %v, want ErrShape", err)
	}
}
