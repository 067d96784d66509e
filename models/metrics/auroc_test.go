package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveDeLong is the textbook O(m·n) structural-components computation of DeLong et
// al. (1988): ψ(x, w) = 1, ½ or 0 for x >, =, < w, averaged per record, independent of
// the midrank algorithm it checks.
func naiveDeLong(x, w []float64) (auc, variance float64) {
	psi := func(a, b float64) float64 {
		switch {
		case a > b:
			return 1
		case a == b:
			return 0.5
		}
		return 0
	}
	v10, v01 := make([]float64, len(x)), make([]float64, len(w))
	for i, a := range x {
		for j, b := range w {
			s := psi(a, b)
			v10[i] += s / float64(len(w))
			v01[j] += s / float64(len(x))
			auc += s
		}
	}
	auc /= float64(len(x) * len(w))
	var s10, s01 float64
	for _, v := range v10 {
		s10 += (v - auc) * (v - auc)
	}
	for _, v := range v01 {
		s01 += (v - auc) * (v - auc)
	}
	s10 /= float64(len(x) - 1)
	s01 /= float64(len(w) - 1)
	return auc, s10/float64(len(x)) + s01/float64(len(w))
}

func TestDeLongHandComputed(t *testing.T) {
	cases := []struct {
		name          string
		x, w          []float64 // positive and negative scores
		auc, variance float64
	}{
		// V10 = [½, 1], V01 = [1, ½]: S10 = S01 = 1/8, Var = 1/16 + 1/16.
		{"no ties", []float64{0.35, 0.8}, []float64{0.1, 0.4}, 0.75, 0.125},
		// V10 = [5/6, 1, 5/6], V01 = [2/3, 1, 1]: S10 = 1/108, S01 = 1/27, Var = 1/324 + 4/324.
		{"ties across classes", []float64{0.6, 0.9, 0.6}, []float64{0.6, 0.2, 0.3}, 8.0 / 9, 5.0 / 324},
		// Perfect separation: every component is 1, so the variance is 0.
		{"perfectly separated", []float64{0.7, 0.8, 0.9}, []float64{0.1, 0.2}, 1, 0},
		{"inverted", []float64{0.1, 0.2}, []float64{0.7, 0.8, 0.9}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			auc, v, err := delong(tc.x, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(auc-tc.auc) > 1e-12 || math.Abs(v-tc.variance) > 1e-12 {
				t.Fatalf("AUROC %g variance %g, want %g and %g", auc, v, tc.auc, tc.variance)
			}
		})
	}
}

// TestAUROCIntervalHandComputed checks the Wald interval AUROC ± z₀.₉₇₅·SE on the
// hand-computed variances above, including clipping at 1.
func TestAUROCIntervalHandComputed(t *testing.T) {
	const z = 1.96 // z₀.₉₇₅ to the precision of a printed table
	cases := []struct {
		name          string
		x, w          []float64
		auc, variance float64
	}{
		{"clipped above", []float64{0.6, 0.9, 0.6}, []float64{0.6, 0.2, 0.3}, 8.0 / 9, 5.0 / 324},
		{"no ties", []float64{0.35, 0.8}, []float64{0.1, 0.4}, 0.75, 0.125},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := estimateAUROC(tc.x, tc.w)
			se := math.Sqrt(tc.variance)
			lo, hi := math.Max(0, tc.auc-z*se), math.Min(1, tc.auc+z*se)
			if !closeStatTol(e.StdErr, se, 1e-12) || !closeStatTol(e.Lower, lo, 1e-4) || !closeStatTol(e.Upper, hi, 1e-4) {
				t.Fatalf("got %+v, want SE %g CI [%g, %g]", e, se, lo, hi)
			}
		})
	}
}

func TestDeLongMatchesNaive(t *testing.T) {
	cases := []struct {
		name   string
		m, n   int
		levels int // 0: continuous scores; k: scores quantised to k levels, so many ties
		shift  float64
	}{
		{"continuous small", 7, 11, 0, 0.5},
		{"continuous larger", 120, 300, 0, 1},
		{"heavy ties", 80, 90, 5, 0.7},
		{"two levels", 40, 25, 2, 0.3},
		{"minimal", 2, 2, 0, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			draw := func(k int, mu float64) []float64 {
				v := make([]float64, k)
				for j := range v {
					v[j] = r.NormFloat64() + mu
					if tc.levels > 0 {
						v[j] = math.Round(v[j] * float64(tc.levels) / 4)
					}
				}
				return v
			}
			x, w := draw(tc.m, tc.shift), draw(tc.n, 0)
			auc, v, err := delong(x, w)
			if err != nil {
				t.Fatal(err)
			}
			wantAUC, wantV := naiveDeLong(x, w)
			if math.Abs(auc-wantAUC) > 1e-12 || math.Abs(v-wantV) > 1e-12*math.Max(1, wantV) {
				t.Fatalf("fast AUROC %.15g var %.15g, naive %.15g var %.15g", auc, v, wantAUC, wantV)
			}
		})
	}
}

// TestDeLongCoverage checks the interval, not just the variance formula: across many
// simulated studies the 95% CI must cover the true AUROC about 95% of the time.
func TestDeLongCoverage(t *testing.T) {
	cases := []struct {
		name    string
		shift   float64 // positives ~ N(shift, 1), negatives ~ N(0, 1)
		trueAUC float64 // Φ(shift/√2)
	}{
		{"random classifier", 0, 0.5},
		{"useful classifier", 1, 0.760249938906523}, // Φ(1/√2)
	}
	const studies, m, n = 400, 60, 90
	for k, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(k), 11))
			covered := 0
			for range studies {
				x, w := make([]float64, m), make([]float64, n)
				for i := range x {
					x[i] = r.NormFloat64() + tc.shift
				}
				for i := range w {
					w[i] = r.NormFloat64()
				}
				e := estimateAUROC(x, w)
				if float64(e.Lower) <= tc.trueAUC && tc.trueAUC <= float64(e.Upper) {
					covered++
				}
			}
			// Binomial sd at 400 studies is 1.1%: a variance off by a factor of 1.5 misses this.
			if rate := float64(covered) / studies; rate < 0.91 || rate > 0.985 {
				t.Fatalf("coverage %.3f, want about 0.95", rate)
			}
		})
	}
}

func TestAUROCRandomClassifierLargeN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	const n = 20000
	score, y := make([]float32, n), make([]int32, n)
	for i := range score {
		score[i] = r.Float32()
		y[i] = int32(r.IntN(2))
	}
	d, _ := newBinaryData(score, y)
	e := estimateAUROC(d.split())
	if !e.Computable || float64(e.Lower) > 0.5 || float64(e.Upper) < 0.5 {
		t.Fatalf("random classifier AUROC %+v: CI does not cover 0.5", e)
	}
	if width := float64(e.Upper - e.Lower); width <= 0 || width > 0.05 {
		t.Fatalf("CI width %g at n=%d, want (0, 0.05]", width, n)
	}
}

func TestEstimateAUROCNotComputable(t *testing.T) {
	cases := []struct {
		name       string
		x, w       []float64
		computable bool
		ci         bool
	}{
		{"no positives", nil, []float64{0.1, 0.2}, false, false},
		{"no negatives", []float64{0.1, 0.2}, nil, false, false},
		{"nothing", nil, nil, false, false},
		{"single positive", []float64{0.9}, []float64{0.1, 0.2}, true, false},
		{"two of each", []float64{0.9, 0.3}, []float64{0.1, 0.4}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := estimateAUROC(tc.x, tc.w)
			if e.Computable != tc.computable || e.Lower.Defined() != tc.ci || e.Upper.Defined() != tc.ci {
				t.Fatalf("got %+v, want computable %v, CI %v", e, tc.computable, tc.ci)
			}
			if !tc.ci && e.Reason == "" {
				t.Fatal("no reason given for what is not computable")
			}
			if !tc.computable && e.Estimate.Defined() {
				t.Fatalf("estimate %g reported for a non-computable AUROC", e.Estimate)
			}
		})
	}
	if _, _, err := DeLong([]float32{0.1, 0.2}, []int32{0, 0}); !errors.Is(err, ErrOneClass) {
		t.Fatalf("DeLong with one class: %v, want ErrOneClass", err)
	}
}

func TestMidranks(t *testing.T) {
	got := midranks([]float64{3, 1, 3, 2, 3})
	want := []float64{4, 1, 4, 2, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("midranks = %v, want %v", got, want)
		}
	}
}
