package external

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func evaluateCSV(t *testing.T, f *fixture, csv string, opts Options, subgroups ...string) (*Evaluation, error) {
	t.Helper()
	d, err := ReadTabular(strings.NewReader(csv), "local.csv", &f.v.Card, TabularInput{Label: "diagnosis", Subgroups: subgroups})
	if err != nil {
		return nil, err
	}
	return Evaluate(f.v, d, opts)
}

func flagged(e *Evaluation, metric string) bool {
	for _, c := range e.Comparison {
		if c.Metric == metric {
			return c.Outside
		}
	}
	panic("no metric " + metric)
}

func TestSamePopulationIsNotFlagged(t *testing.T) {
	f := newFixture(t, true)
	x, y := population(600, 0.3, 0, 2)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites)
	e, err := evaluateCSV(t, f, csv, Options{}, "site")
	if err != nil {
		t.Fatal(err)
	}
	if !e.AUROC.Estimate.Defined() || e.AUROC.Estimate < 0.85 || flagged(e, "auroc") || flagged(e, "sensitivity") {
		t.Fatalf("same population: AUROC %+v, comparison %+v", e.AUROC, e.Comparison)
	}
	for _, fs := range e.Shift.Features {
		if fs.Flag != "" {
			t.Fatalf("same population flags a shift in %s: %s", fs.Name, fs.Flag)
		}
	}
	if e.Shift.Prevalence.Outside {
		t.Fatalf("same prevalence flagged: %+v", e.Shift.Prevalence)
	}
}

// TestShiftedPopulationIsFlagged: a marker moved by +1 and a doubled prevalence — the
// report flags the marker's shift (PSI, SMD), not the noise's, flags the prevalence,
// and flags the metrics that moved (specificity falls as negatives cross the threshold).
func TestShiftedPopulationIsFlagged(t *testing.T) {
	f := newFixture(t, true)
	x, y := population(600, 0.6, 1, 3)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites)
	e, err := evaluateCSV(t, f, csv, Options{Threshold: 0.7}, "site")
	if err != nil {
		t.Fatal(err)
	}
	m, n := e.Shift.Features[0], e.Shift.Features[1]
	if m.Name != "marker" || m.PSI < 0.25 || m.SMD < 0.5 || !strings.Contains(m.Flag, "major") || n.Flag != "" {
		t.Fatalf("shift: marker %+v, noise %+v", m, n)
	}
	if p := e.Shift.Prevalence; !p.Outside || p.Difference < 0.2 {
		t.Fatalf("prevalence shift not flagged: %+v", p)
	}
	if !flagged(e, "specificity") || !flagged(e, "prevalence") {
		t.Fatalf("moved metrics not flagged: %+v", e.Comparison)
	}
	if e.AtLocal == nil || e.AtLocal.Threshold != 0.7 || e.AtLocal.Specificity.Estimate <= e.AtCard.Specificity.Estimate {
		t.Fatalf("the trust's threshold: %+v against the card's %+v", e.AtLocal, e.AtCard)
	}
	var text bytes.Buffer
	if err := e.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"local CI excludes development", "marker", "PSI", "major", "label prevalence shift"} {
		if !strings.Contains(text.String(), want) {
			t.Fatalf("the printed report lacks %q:\n%s", want, text.String())
		}
	}
}

func TestNoPositivesIsUndefinedNotNaN(t *testing.T) {
	f := newFixture(t, true)
	x, y := population(200, 0, 0, 4)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites)
	e, err := evaluateCSV(t, f, csv, Options{}, "site")
	if err != nil {
		t.Fatal(err)
	}
	if e.AUROC.Estimate.Defined() || !strings.Contains(e.AUROC.Reason, "no positive") || e.AtCard.Sensitivity.Estimate.Defined() || e.Calibration.Slope.Defined() {
		t.Fatalf("no positives: AUROC %+v, sensitivity %+v, slope %v", e.AUROC, e.AtCard.Sensitivity, e.Calibration.Slope)
	}
	if !e.AtCard.Specificity.Estimate.Defined() {
		t.Fatal("specificity needs no positives but is undefined")
	}
	body, err := json.Marshal(e)
	if err != nil || bytes.Contains(body, []byte("NaN")) || !bytes.Contains(body, []byte(`"sensitivity":{"estimate":null`)) {
		t.Fatalf("JSON of an evaluation without positives: %v\n%s", err, body)
	}
	if _, _, err := Sign(f.v, e, "Test Trust", f.site, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Check([]Requirement{{"auroc", 0.5}}); !errors.Is(err, ErrRequirement) || !strings.Contains(err.Error(), "undefined") {
		t.Fatalf("a requirement on an undefined AUROC: %v", err)
	}
}

func TestFloorIsTheTrustsAndSuppresses(t *testing.T) {
	f := newFixture(t, true)
	x, y := population(300, 0.3, 0, 5)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites) // "small" holds 15 rows
	e, err := evaluateCSV(t, f, csv, Options{Floor: 20}, "site")
	if err != nil {
		t.Fatal(err)
	}
	if e.Floor != 20 {
		t.Fatalf("floor %d, want the trust's 20", e.Floor)
	}
	g := e.Subgroups[0].Groups
	if !strings.Contains(g[1].Value, "1 values with fewer than 20") || !g[1].Suppressed || g[1].AUROC != nil || g[1].N.String() != "<20" || g[0].Suppressed {
		t.Fatalf("subgroups under a floor of 20: %+v", g)
	}
	// The card (min_group_size 10) cannot lower the trust's floor, only raise it.
	if e, err := evaluateCSV(t, f, csv, Options{Floor: 3}, "site"); err != nil || e.Floor != 10 {
		t.Fatalf("a floor of 3 under a card of 10: %v, floor %d", err, e.Floor)
	}
	body, _ := json.Marshal(e)
	var back Evaluation
	if err := json.Unmarshal(body, &back); err != nil || back.Subgroups[0].Groups[1].N.String() != "<20" || !back.Subgroups[0].Groups[1].Suppressed {
		t.Fatalf("a suppressed group's size does not read back as <20: %v\n%s", err, body)
	}
	if _, err := evaluateCSV(t, f, strings.Join(strings.SplitAfter(csv, "\n")[:6], ""), Options{}, "site"); err == nil ||
		!strings.Contains(err.Error(), "fewer rows than the floor") {
		t.Fatalf("5 rows: %v", err)
	}
}

func TestOldCardSaysShiftNotRecorded(t *testing.T) {
	f := newFixture(t, false)
	x, y := population(200, 0.3, 0, 6)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites)
	e, err := evaluateCSV(t, f, csv, Options{}, "site")
	if err != nil {
		t.Fatal(err)
	}
	if e.Shift.Recorded || !strings.Contains(e.Shift.Note, "not recorded in the card") || !slicesContain(e.Notes, "not recorded in the card") {
		t.Fatalf("old card: %+v, notes %q", e.Shift, e.Notes)
	}
}

func slicesContain(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestRequirementsGateOnLowerBounds(t *testing.T) {
	f := newFixture(t, true)
	x, y := population(600, 0.3, 0, 7)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites)
	e, err := evaluateCSV(t, f, csv, Options{}, "site")
	if err != nil {
		t.Fatal(err)
	}
	lo := float64(e.AUROC.Lower)
	reqs, err := ParseRequirements("auroc>=" + trim(lo-0.01))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Check(reqs); err != nil {
		t.Fatalf("a bar under the lower bound: %v", err)
	}
	// Between the lower bound and the estimate: the point estimate clears it, the
	// evidence does not.
	mid := (lo + float64(e.AUROC.Estimate)) / 2
	reqs, _ = ParseRequirements("auroc>=" + trim(mid) + ", sensitivity>=0.1")
	v, err := e.Check(reqs)
	if !errors.Is(err, ErrRequirement) || v[0].Met || !v[1].Met || !strings.Contains(err.Error(), "auroc lower 95% bound") {
		t.Fatalf("a bar between the lower bound %g and the estimate %g: %v %+v", lo, e.AUROC.Estimate, err, v)
	}
	for _, bad := range []string{"auroc>0.8", "f1>=0.5", "auroc>=1.5", "auroc>=x"} {
		if _, err := ParseRequirements(bad); err == nil {
			t.Fatalf("ParseRequirements(%q) accepted", bad)
		}
	}
}

func trim(f float64) string { return strings.TrimRight(strings.TrimRight(formatF(f), "0"), ".") }

func formatF(f float64) string { return strconvF(math.Round(f*1e6) / 1e6) }

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
