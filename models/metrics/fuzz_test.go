package metrics

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
)

// FuzzReport feeds arbitrary probabilities, labels, thresholds and subgroups. Report
// must never panic; it either rejects the input with one of the package's errors or
// returns a report whose every rate lies in [0, 1], defined wherever its denominator
// is not empty, and that encodes as JSON.
func FuzzReport(f *testing.F) {
	f.Add([]byte{0, 10, 1, 200, 0, 30, 1, 250, 1, 128, 0, 127}, uint8(0), 0.5, true)
	f.Add([]byte{1, 1, 1, 1, 1, 1}, uint8(0), 0.0, true) // one class only
	f.Add([]byte{0, 5, 9, 2, 1, 200, 3, 7, 2, 0, 0, 255, 0, 1, 2, 3}, uint8(1), 0.3, true)
	f.Add([]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0, 1, 0}, uint8(0), 0.5, false) // raw float32 1.0 and 0.0
	f.Add([]byte{0, 0, 0xc0, 0x7f, 1}, uint8(0), 0.5, false)                // raw NaN
	f.Add([]byte{3, 4, 5}, uint8(2), math.NaN(), true)
	big := make([]byte, 0, 400)
	for i := range 200 {
		big = append(big, byte(i*37), byte(i*101))
	}
	f.Add(big, uint8(0), 0.5, true)
	f.Fuzz(func(t *testing.T, data []byte, k uint8, threshold float64, valid bool) {
		classes := 2 + int(k%3)
		var p []float32
		var y []int32
		var group []string
		if valid {
			p, y, group = wellFormed(data, classes)
		} else {
			p, y, group = rawInput(data, classes)
		}
		opts := ReportOptions{Threshold: threshold, Subgroups: map[string][]string{"group": group}}
		if classes > 2 {
			opts.ClassNames = defaultClassNames(classes)
		}
		r, err := Report(p, y, opts)
		if err != nil {
			for _, known := range []error{ErrNoSamples, ErrShape, ErrProbability, ErrLabel, ErrOptions} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		checkReport(t, r)
	})
}

// wellFormed turns bytes into valid records: one label byte, then one byte per
// probability column, normalised to sum to 1 for multi-class rows.
func wellFormed(data []byte, classes int) ([]float32, []int32, []string) {
	cols := classes
	if classes == 2 {
		cols = 1
	}
	var p []float32
	var y []int32
	var group []string
	for len(data) >= cols+1 {
		rec := data[:cols+1]
		data = data[cols+1:]
		y = append(y, int32(rec[0])%int32(classes))
		group = append(group, fmt.Sprintf("g%d", rec[0]>>6))
		if cols == 1 {
			p = append(p, float32(rec[1])/255)
			continue
		}
		var sum float64
		for _, b := range rec[1:] {
			sum += float64(b) + 1
		}
		for _, b := range rec[1:] {
			p = append(p, float32((float64(b)+1)/sum))
		}
	}
	return p, y, group
}

// rawInput reads bytes as float32 probabilities and signed labels with no cleaning,
// so NaN, infinities, negative and out-of-range values all reach Report.
func rawInput(data []byte, classes int) ([]float32, []int32, []string) {
	cols := classes
	if classes == 2 {
		cols = 1
	}
	var p []float32
	var y []int32
	var group []string
	for len(data) >= 4*cols+1 {
		for c := range cols {
			p = append(p, math.Float32frombits(binary.LittleEndian.Uint32(data[4*c:])))
		}
		y = append(y, int32(int8(data[4*cols])))
		group = append(group, fmt.Sprintf("g%d", data[0]&1))
		data = data[4*cols+1:]
	}
	if len(data) > 0 {
		y = append(y, int32(data[0])) // a label with no probabilities: a shape error
		group = append(group, "g0")
	}
	return p, y, group
}

func checkReport(t *testing.T, r *ClinicalReport) {
	t.Helper()
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("encode report: %v", err)
	}
	if _, err := r.JSON(); err != nil {
		t.Fatalf("encode stored report: %v", err)
	}
	_ = r.Table()
	checkMetrics(t, "overall", r.Overall, r.N)
	for _, a := range r.Subgroups {
		total := 0
		for _, g := range a.Groups {
			if g.Suppressed {
				if g.Metrics != nil || g.N != 0 {
					t.Fatalf("suppressed group %q shows n=%d or metrics", g.Value, g.N)
				}
				continue
			}
			if g.N < MinGroupSize || g.Metrics == nil {
				t.Fatalf("group %q of %d records shown without suppression or metrics", g.Value, g.N)
			}
			total += int(g.N)
			checkMetrics(t, a.Attribute+"="+g.Value, *g.Metrics, int(g.N))
		}
		if total > r.N {
			t.Fatalf("subgroups of %s hold %d records of %d", a.Attribute, total, r.N)
		}
	}
}

func checkMetrics(t *testing.T, where string, m Metrics, n int) {
	t.Helper()
	if (m.Binary == nil) == (m.Multiclass == nil) {
		t.Fatalf("%s: want exactly one of binary and multiclass", where)
	}
	if m.Binary != nil {
		checkBinary(t, where, *m.Binary, n)
		return
	}
	mc := m.Multiclass
	inUnit(t, where+" accuracy", mc.Accuracy, true)
	if !mc.Brier.Defined() || mc.Brier < 0 || mc.Brier > 2 {
		t.Fatalf("%s: multi-class Brier %g outside [0, 2]", where, mc.Brier)
	}
	total := 0
	for _, row := range mc.Confusion {
		for _, v := range row {
			total += v
		}
	}
	if total != n {
		t.Fatalf("%s: confusion matrix holds %d of %d records", where, total, n)
	}
	a := mc.Macro
	for name, v := range map[string]Stat{"auroc": a.AUROC, "sens": a.Sensitivity, "spec": a.Specificity, "ppv": a.PPV,
		"npv": a.NPV, "f1": a.F1, "acc": a.Accuracy, "brier": a.Brier, "ece": a.ECE} {
		inUnit(t, where+" macro "+name, v, v.Defined()) // a macro mean may be undefined if every class's is
	}
	for _, b := range mc.PerClass {
		checkBinary(t, where+" class "+b.Class, b, n)
	}
}

func checkBinary(t *testing.T, where string, b BinaryMetrics, n int) {
	t.Helper()
	negatives := b.N - b.Positives
	if b.N != n || b.Positives < 0 || negatives < 0 {
		t.Fatalf("%s: n %d positives %d for %d records", where, b.N, b.Positives, n)
	}
	inUnit(t, where+" prevalence", b.Prevalence, true)
	inUnit(t, where+" brier", b.Brier, true)
	inUnit(t, where+" ece", b.Calibration.ECE, true)
	a := b.AUROC
	if a.Computable != (b.Positives > 0 && negatives > 0) {
		t.Fatalf("%s: AUROC computable %v with %d positives and %d negatives", where, a.Computable, b.Positives, negatives)
	}
	inUnit(t, where+" auroc", a.Estimate, a.Computable)
	inUnit(t, where+" auroc lower", a.Lower, a.Computable && b.Positives > 1 && negatives > 1)
	inUnit(t, where+" auroc upper", a.Upper, a.Computable && b.Positives > 1 && negatives > 1)
	if a.Lower.Defined() && !(a.Lower <= a.Estimate && a.Estimate <= a.Upper) {
		t.Fatalf("%s: AUROC %g outside its CI [%g, %g]", where, a.Estimate, a.Lower, a.Upper)
	}
	binned := 0
	for _, bin := range b.Calibration.Bins {
		binned += bin.Count
		inUnit(t, where+" bin mean", bin.MeanPredicted, bin.Count > 0)
		inUnit(t, where+" bin observed", bin.ObservedFraction, bin.Count > 0)
	}
	if binned != n {
		t.Fatalf("%s: calibration bins hold %d of %d records", where, binned, n)
	}
	checkPoint(t, where+" at threshold", b.AtThreshold, b.Positives, negatives, true)
	checkPoint(t, where+" at youden", b.AtYouden, b.Positives, negatives, b.Positives > 0 && negatives > 0)
}

func checkPoint(t *testing.T, where string, o OperatingPoint, pos, neg int, defined bool) {
	t.Helper()
	if !defined {
		if o.Threshold.Defined() {
			t.Fatalf("%s: threshold %g where none is defined", where, o.Threshold)
		}
		return
	}
	c := o.Confusion
	if c.TP+c.FN != pos || c.FP+c.TN != neg {
		t.Fatalf("%s: confusion %+v for %d positives and %d negatives", where, c, pos, neg)
	}
	inUnit(t, where+" threshold", o.Threshold, true)
	inUnit(t, where+" sensitivity", o.Sensitivity, pos > 0)
	inUnit(t, where+" specificity", o.Specificity, neg > 0)
	inUnit(t, where+" ppv", o.PPV, c.TP+c.FP > 0)
	inUnit(t, where+" npv", o.NPV, c.TN+c.FN > 0)
	inUnit(t, where+" f1", o.F1, c.TP+c.FP+c.FN > 0)
	inUnit(t, where+" accuracy", o.Accuracy, true)
}

// inUnit requires v in [0, 1] when defined, and defined exactly when it must be.
func inUnit(t *testing.T, what string, v Stat, mustBeDefined bool) {
	t.Helper()
	if v.Defined() != mustBeDefined {
		t.Fatalf("%s = %g: defined %v, want %v", what, v, v.Defined(), mustBeDefined)
	}
	if v.Defined() && (v < 0 || v > 1 || math.IsInf(float64(v), 0)) {
		t.Fatalf("%s = %g outside [0, 1]", what, v)
	}
}
