package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestReportBinary(t *testing.T) {
	score := []float32{0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1}
	y := []int32{1, 1, 0, 1, 0, 1, 0, 0}
	cases := []struct {
		name      string
		threshold float64
		want      float64 // the threshold the report uses
		conf      Confusion
	}{
		{"default threshold", 0, 0.5, Confusion{TP: 3, FP: 1, TN: 3, FN: 1}},
		{"chosen threshold", 0.35, 0.35, Confusion{TP: 3, FP: 2, TN: 2, FN: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Report(score, y, ReportOptions{Threshold: tc.threshold})
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != "binary" || r.CIMethod != "delong" || r.Threshold != tc.want || r.N != 8 {
				t.Fatalf("header kind %q ci %q threshold %g n %d", r.Kind, r.CIMethod, r.Threshold, r.N)
			}
			b := r.Overall.Binary
			if b == nil || r.Overall.Multiclass != nil {
				t.Fatal("binary report without binary metrics")
			}
			if b.Class != "positive" || b.Positives != 4 || !closeStat(b.Prevalence, 0.5) {
				t.Fatalf("class %q positives %d prevalence %g", b.Class, b.Positives, b.Prevalence)
			}
			if b.AtThreshold.Confusion != tc.conf {
				t.Fatalf("confusion %+v, want %+v", b.AtThreshold.Confusion, tc.conf)
			}
			// Pairs won: 0.9 and 0.8 beat all 4 negatives, 0.6 beats 3, 0.3 beats 2 → 13/16.
			if !closeStat(b.AUROC.Estimate, 13.0/16) || !(b.AUROC.Lower < b.AUROC.Estimate && b.AUROC.Estimate < b.AUROC.Upper) {
				t.Fatalf("AUROC %+v, want 13/16 inside its CI", b.AUROC)
			}
			// Youden: J = 1/2 at 0.8, 0.6 and 0.3; the highest is reported with its rates.
			if !closeStat(b.AtYouden.Threshold, float64(float32(0.8))) || !closeStat(b.AtYouden.Sensitivity, 0.5) || !closeStat(b.AtYouden.Specificity, 1) {
				t.Fatalf("Youden point %+v", b.AtYouden)
			}
			wantBrier := (0.01 + 0.04 + 0.49 + 0.16 + 0.16 + 0.49 + 0.04 + 0.01) / 8
			if !closeStatTol(b.Brier, wantBrier, 1e-6) {
				t.Fatalf("Brier %g, want %g", b.Brier, wantBrier)
			}
		})
	}
}

// TestReportTwoColumns checks that softmax output of a two-class model reads the same
// as P(positive) alone.
func TestReportTwoColumns(t *testing.T) {
	one := []float32{0.9, 0.25, 0.5, 0.75}
	two := []float32{0.1, 0.9, 0.75, 0.25, 0.5, 0.5, 0.25, 0.75}
	y := []int32{1, 0, 0, 1}
	a, err := Report(one, y, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Report(two, y, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("two-column report differs:\n%s\n%s", ja, jb)
	}
}

func TestReportMulticlassMacro(t *testing.T) {
	p := []float32{
		0.7, 0.2, 0.1,
		0.1, 0.8, 0.1,
		0.3, 0.3, 0.4,
		0.5, 0.4, 0.1,
	}
	y := []int32{0, 1, 2, 1}
	r, err := Report(p, y, ReportOptions{ClassNames: []string{"normal", "afib", "other"}})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Overall.Multiclass
	if r.Kind != "multiclass" || m == nil || len(m.PerClass) != 3 {
		t.Fatalf("kind %q, multiclass %v", r.Kind, m)
	}
	if want := [][]int{{1, 0, 0}, {1, 1, 0}, {0, 0, 1}}; !reflect.DeepEqual(m.Confusion, want) {
		t.Fatalf("confusion %v, want %v", m.Confusion, want)
	}
	// Per-record Σ(p − onehot)²: 0.14, 0.06, 0.54, 0.62.
	if !closeStat(m.Accuracy, 0.75) || !closeStatTol(m.Brier, 0.34, 1e-6) {
		t.Fatalf("accuracy %g Brier %g, want 0.75 and 0.34", m.Accuracy, m.Brier)
	}
	nan := math.NaN()
	per := []struct {
		class                         string
		conf                          Confusion
		sens, spec, ppv, npv, f1, auc float64
		brier                         float64
	}{
		{"normal", Confusion{TP: 1, FP: 1, TN: 2}, 1, 2.0 / 3, 0.5, 1, 2.0 / 3, 1, 0.44 / 4},
		{"afib", Confusion{TP: 1, TN: 2, FN: 1}, 0.5, 1, 1, 2.0 / 3, 2.0 / 3, 1, 0.53 / 4},
		{"other", Confusion{TN: 3, FN: 1}, 0, 1, nan, 0.75, 0, 1, 0.39 / 4},
	}
	for i, w := range per {
		t.Run(w.class, func(t *testing.T) {
			b := m.PerClass[i]
			o := b.AtThreshold
			if b.Class != w.class || o.Confusion != w.conf {
				t.Fatalf("class %q confusion %+v, want %q %+v", b.Class, o.Confusion, w.class, w.conf)
			}
			if !closeStat(o.Sensitivity, w.sens) || !closeStat(o.Specificity, w.spec) || !closeStat(o.PPV, w.ppv) ||
				!closeStat(o.NPV, w.npv) || !closeStat(o.F1, w.f1) || !closeStat(b.AUROC.Estimate, w.auc) || !closeStatTol(b.Brier, w.brier, 1e-6) {
				t.Fatalf("got %+v AUROC %g Brier %g", o, b.AUROC.Estimate, b.Brier)
			}
		})
	}
	t.Run("macro", func(t *testing.T) {
		a := m.Macro
		checks := []struct {
			name string
			got  Stat
			want float64
		}{
			{"auroc", a.AUROC, 1}, {"sensitivity", a.Sensitivity, 0.5}, {"specificity", a.Specificity, 8.0 / 9},
			{"ppv (undefined class left out)", a.PPV, 0.75}, {"npv", a.NPV, 29.0 / 36}, {"f1", a.F1, 4.0 / 9},
			{"accuracy", a.Accuracy, 0.75},
		}
		for _, c := range checks {
			if !closeStat(c.got, c.want) {
				t.Errorf("macro %s = %g, want %g", c.name, c.got, c.want)
			}
		}
		// The multi-class Brier score is the sum of the one-vs-rest ones.
		if !closeStatTol(a.Brier, 0.34/3, 1e-6) {
			t.Errorf("macro Brier %g, want %g", a.Brier, 0.34/3)
		}
		wantECE := (float64(m.PerClass[0].Calibration.ECE) + float64(m.PerClass[1].Calibration.ECE) + float64(m.PerClass[2].Calibration.ECE)) / 3
		if !closeStat(a.ECE, wantECE) {
			t.Errorf("macro ECE %g, want %g", a.ECE, wantECE)
		}
	})
}

func TestReportSubgroups(t *testing.T) {
	const n = 40
	p, y := make([]float32, n), make([]int32, n)
	site := make([]string, n)
	for i := range n {
		y[i] = int32(i % 2)
		p[i] = float32(i%2)*0.5 + float32(i%5)*0.1
		switch {
		case i < 21:
			site[i] = "north" // 21 records
		case i < 31:
			site[i] = "south" // exactly 10: shown
		case i < 40:
			site[i] = "east" // 9: suppressed
		}
	}
	r, err := Report(p, y, ReportOptions{Subgroups: map[string][]string{"site": site}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Subgroups) != 1 || r.Subgroups[0].Attribute != "site" {
		t.Fatalf("subgroups %+v", r.Subgroups)
	}
	groups := r.Subgroups[0].Groups
	cases := []struct {
		value      string
		suppressed bool
		n          int
		from, to   int
	}{{"east", true, 0, 31, 40}, {"north", false, 21, 0, 21}, {"south", false, 10, 21, 31}}
	for i, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			g := groups[i]
			if g.Value != tc.value || g.Suppressed != tc.suppressed || int(g.N) != tc.n {
				t.Fatalf("group %+v, want %+v", g, tc)
			}
			if tc.suppressed {
				if g.Metrics != nil {
					t.Fatal("a suppressed group carries metrics")
				}
				var buf strings.Builder
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(g); err != nil {
					t.Fatal(err)
				}
				if got, want := strings.TrimSpace(buf.String()), `{"value":"east","suppressed":true,"n":"<10"}`; got != want {
					t.Fatalf("suppressed group encodes as %s, want %s", got, want)
				}
				j, _ := r.JSON()
				if !strings.Contains(string(j), `"n": "<10"`) || strings.Contains(string(j), `"n": 9`) {
					t.Fatalf("stored JSON does not hide the small group's size:\n%s", j)
				}
				var back ClinicalReport
				if err := json.Unmarshal(j, &back); err != nil {
					t.Fatalf("decode stored report: %v", err)
				}
				if bg := back.Subgroups[0].Groups[i]; !bg.Suppressed || bg.N != 0 || bg.Metrics != nil {
					t.Fatalf("suppressed group decodes as %+v", bg)
				}
				return
			}
			// The group's metrics are those of a report on its records alone.
			alone, err := Report(p[tc.from:tc.to], y[tc.from:tc.to], ReportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(g.Metrics)
			want, _ := json.Marshal(alone.Overall)
			if string(got) != string(want) {
				t.Fatalf("group metrics differ from the group evaluated alone:\n%s\n%s", got, want)
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	// One negative only in class terms: AUROC not computable, PPV undefined at 0.99.
	r, err := Report([]float32{0.2, 0.4, 0.9}, []int32{1, 1, 1}, ReportOptions{Threshold: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("encode a report with undefined values: %v", err)
	}
	for _, want := range []string{`"ci_method":"delong"`, `"computable":false`, `"ppv":null`, `"reason":"not computable: no negative records"`, `"subgroups":[]`} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	stored, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range [][]byte{j, stored} {
		var back ClinicalReport
		if err := json.Unmarshal(form, &back); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(&back)
		if string(again) != string(j) {
			t.Fatalf("report does not round-trip:\n%s\n%s", j, again)
		}
	}
}

func TestReportRejectsBadInput(t *testing.T) {
	ok := []float32{0.2, 0.8}
	labels := []int32{0, 1}
	manyP, manyY, manyIDs := make([]float32, MaxSubgroupValues+1), make([]int32, MaxSubgroupValues+1), make([]string, MaxSubgroupValues+1)
	for i := range manyIDs {
		manyY[i], manyIDs[i] = int32(i%2), fmt.Sprintf("id-%d", i)
	}
	cases := []struct {
		name string
		p    []float32
		y    []int32
		opts ReportOptions
		want error
	}{
		{"no records", nil, nil, ReportOptions{}, ErrNoSamples},
		{"length mismatch", []float32{0.2, 0.8, 0.1}, labels, ReportOptions{}, ErrShape},
		{"probability above 1", []float32{0.2, 1.5}, labels, ReportOptions{}, ErrProbability},
		{"negative probability", []float32{-0.1, 0.5}, labels, ReportOptions{}, ErrProbability},
		{"NaN probability", []float32{float32(math.NaN()), 0.5}, labels, ReportOptions{}, ErrProbability},
		{"row not summing to 1", []float32{0.5, 0.5, 0.5, 0.2, 0.3, 0.5}, labels, ReportOptions{}, ErrProbability},
		{"label out of range", ok, []int32{0, 2}, ReportOptions{}, ErrLabel},
		{"negative label", ok, []int32{-1, 1}, ReportOptions{}, ErrLabel},
		{"threshold above 1", ok, labels, ReportOptions{Threshold: 1.5}, ErrOptions},
		{"negative threshold", ok, labels, ReportOptions{Threshold: -0.2}, ErrOptions},
		{"one class name", ok, labels, ReportOptions{ClassNames: []string{"only"}}, ErrOptions},
		{"repeated class name", ok, labels, ReportOptions{ClassNames: []string{"a", "a"}}, ErrOptions},
		{"names for the wrong width", ok, labels, ReportOptions{ClassNames: []string{"a", "b", "c"}}, ErrShape},
		{"short subgroup", ok, labels, ReportOptions{Subgroups: map[string][]string{"sex": {"F"}}}, ErrShape},
		{"unnamed subgroup", ok, labels, ReportOptions{Subgroups: map[string][]string{"": {"F", "M"}}}, ErrOptions},
		{"identifier as subgroup", manyP, manyY, ReportOptions{Subgroups: map[string][]string{"patient": manyIDs}}, ErrOptions},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Report(tc.p, tc.y, tc.opts)
			if !errors.Is(err, tc.want) || r != nil {
				t.Fatalf("Report: %v, want %v", err, tc.want)
			}
		})
	}
}
