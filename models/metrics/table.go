package metrics

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Table renders the report as fixed-width text for a terminal: the overall results in
// full, then one line per subgroup. Undefined values print as "n/a".
func (r *ClinicalReport) Table() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Clinical report: %s, %d records, classes %s\n", r.Kind, r.N, strings.Join(cleanAll(r.Classes), ", "))
	fmt.Fprintf(&sb, "Chosen threshold %.3f; AUROC CI: %s %.0f%%; calibration: %d equal-width bins; subgroups under %d records suppressed\n",
		r.Threshold, r.CIMethod, r.CILevel*100, r.CalibrationBins, r.MinGroupSize)
	switch {
	case r.Overall.Binary != nil:
		writeBinary(&sb, r.Overall.Binary)
	case r.Overall.Multiclass != nil:
		writeMulticlass(&sb, r.Overall.Multiclass, r.Classes)
	}
	for _, a := range r.Subgroups {
		writeAttribute(&sb, a, r.Kind == "multiclass")
	}
	lines := strings.Split(sb.String(), "\n")
	for i, line := range lines {
		lines[i] = strings.TrimRight(line, " ")
	}
	return strings.Join(lines, "\n")
}

func writeBinary(w io.Writer, b *BinaryMetrics) {
	fmt.Fprintf(w, "\nPositive class %s: %d of %d records (prevalence %s)\n", clean(b.Class), b.Positives, b.N, fmtStat(b.Prevalence))
	fmt.Fprintf(w, "AUROC %s   Brier %s   ECE %s\n", fmtAUROC(b.AUROC), fmtStat(b.Brier), fmtStat(b.Calibration.ECE))
	writeOperatingPoints(w, b)
	fmt.Fprintf(w, "\nConfusion matrix at threshold %s\n", fmtStat(b.AtThreshold.Threshold))
	c := b.AtThreshold.Confusion
	tw := newTab(w)
	fmt.Fprintf(tw, "\tpredicted positive\tpredicted negative\n")
	fmt.Fprintf(tw, "actual positive\t%d\t%d\n", c.TP, c.FN)
	fmt.Fprintf(tw, "actual negative\t%d\t%d\n", c.FP, c.TN)
	tw.Flush()
	writeReliability(w, b.Calibration)
}

func writeOperatingPoints(w io.Writer, b *BinaryMetrics) {
	fmt.Fprintln(w)
	tw := newTab(w)
	fmt.Fprintf(tw, "\tchosen threshold\tYouden-optimal\n")
	rows := []struct {
		name string
		get  func(OperatingPoint) Stat
	}{
		{"threshold", func(o OperatingPoint) Stat { return o.Threshold }},
		{"sensitivity", func(o OperatingPoint) Stat { return o.Sensitivity }},
		{"specificity", func(o OperatingPoint) Stat { return o.Specificity }},
		{"PPV", func(o OperatingPoint) Stat { return o.PPV }},
		{"NPV", func(o OperatingPoint) Stat { return o.NPV }},
		{"F1", func(o OperatingPoint) Stat { return o.F1 }},
		{"accuracy", func(o OperatingPoint) Stat { return o.Accuracy }},
		{"Youden J", func(o OperatingPoint) Stat { return o.YoudenJ }},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row.name, fmtStat(row.get(b.AtThreshold)), fmtStat(row.get(b.AtYouden)))
	}
	cs := func(c Confusion) string { return fmt.Sprintf("%d/%d/%d/%d", c.TP, c.FP, c.TN, c.FN) }
	fmt.Fprintf(tw, "TP/FP/TN/FN\t%s\t%s\n", cs(b.AtThreshold.Confusion), cs(b.AtYouden.Confusion))
	tw.Flush()
}

func writeReliability(w io.Writer, c Calibration) {
	fmt.Fprintf(w, "\nReliability curve (ECE %s)\n", fmtStat(c.ECE))
	tw := newTab(w)
	fmt.Fprintf(tw, "bin\tmean predicted\tobserved fraction\tcount\n")
	for i, b := range c.Bins {
		closing := ")"
		if i == len(c.Bins)-1 {
			closing = "]"
		}
		fmt.Fprintf(tw, "[%.1f, %.1f%s\t%s\t%s\t%d\n", b.Lower, b.Upper, closing, fmtStat(b.MeanPredicted), fmtStat(b.ObservedFraction), b.Count)
	}
	tw.Flush()
}

func writeMulticlass(w io.Writer, m *MulticlassMetrics, classes []string) {
	fmt.Fprintf(w, "\nArgmax accuracy %s   multi-class Brier %s\n", fmtStat(m.Accuracy), fmtStat(m.Brier))
	fmt.Fprintf(w, "\nConfusion matrix (rows: true class, columns: argmax prediction)\n")
	tw := newTab(w)
	fmt.Fprintf(tw, "\t%s\n", strings.Join(cleanAll(classes), "\t"))
	for c, row := range m.Confusion {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = fmt.Sprint(v)
		}
		fmt.Fprintf(tw, "%s\t%s\n", clean(classes[c]), strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nOne-vs-rest per class at the chosen threshold\n")
	tw = newTab(w)
	fmt.Fprintf(tw, "class\tpositives\tAUROC [95%% CI]\tsens\tspec\tPPV\tNPV\tF1\taccuracy\tBrier\tECE\n")
	for _, b := range m.PerClass {
		o := b.AtThreshold
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(b.Class), b.Positives, fmtAUROC(b.AUROC),
			fmtStat(o.Sensitivity), fmtStat(o.Specificity), fmtStat(o.PPV), fmtStat(o.NPV), fmtStat(o.F1), fmtStat(o.Accuracy),
			fmtStat(b.Brier), fmtStat(b.Calibration.ECE))
	}
	a := m.Macro
	fmt.Fprintf(tw, "macro\t\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fmtStat(a.AUROC), fmtStat(a.Sensitivity), fmtStat(a.Specificity),
		fmtStat(a.PPV), fmtStat(a.NPV), fmtStat(a.F1), fmtStat(a.Accuracy), fmtStat(a.Brier), fmtStat(a.ECE))
	tw.Flush()
	fmt.Fprintf(w, "\nOne-vs-rest per class at the Youden-optimal threshold\n")
	tw = newTab(w)
	fmt.Fprintf(tw, "class\tthreshold\tsens\tspec\tPPV\tNPV\tF1\taccuracy\n")
	for _, b := range m.PerClass {
		o := b.AtYouden
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(b.Class), fmtStat(o.Threshold), fmtStat(o.Sensitivity),
			fmtStat(o.Specificity), fmtStat(o.PPV), fmtStat(o.NPV), fmtStat(o.F1), fmtStat(o.Accuracy))
	}
	tw.Flush()
}

// writeAttribute prints one line per group: binary results, or multi-class macro
// averages beside the argmax accuracy and multi-class Brier score.
func writeAttribute(w io.Writer, a SubgroupAttribute, multiclass bool) {
	fmt.Fprintf(w, "\nSubgroups by %s (chosen threshold)\n", clean(a.Attribute))
	tw := newTab(w)
	if multiclass {
		fmt.Fprintf(tw, "value\tn\tmacro AUROC\tmacro sens\tmacro spec\tmacro PPV\tmacro NPV\tmacro F1\targmax accuracy\tmulti-class Brier\tmacro ECE\n")
	} else {
		fmt.Fprintf(tw, "value\tn\tAUROC [95%% CI]\tsens\tspec\tPPV\tNPV\tF1\taccuracy\tBrier\tECE\n")
	}
	for _, g := range a.Groups {
		value := clean(g.Value)
		if g.Value == "" {
			value = "(missing)"
		}
		switch {
		case g.Suppressed || g.Metrics == nil:
			// Empty cells keep the column block unbroken for the rows below.
			fmt.Fprintf(tw, "%s\t%s\tsuppressed%s\n", value, g.N, strings.Repeat("\t", 8))
		case g.Metrics.Binary != nil:
			b := g.Metrics.Binary
			o := b.AtThreshold
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", value, g.N, fmtAUROC(b.AUROC),
				fmtStat(o.Sensitivity), fmtStat(o.Specificity), fmtStat(o.PPV), fmtStat(o.NPV), fmtStat(o.F1),
				fmtStat(o.Accuracy), fmtStat(b.Brier), fmtStat(b.Calibration.ECE))
		case g.Metrics.Multiclass != nil:
			m := g.Metrics.Multiclass
			a := m.Macro
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", value, g.N, fmtStat(a.AUROC),
				fmtStat(a.Sensitivity), fmtStat(a.Specificity), fmtStat(a.PPV), fmtStat(a.NPV), fmtStat(a.F1),
				fmtStat(m.Accuracy), fmtStat(m.Brier), fmtStat(a.ECE))
		}
	}
	tw.Flush()
}

func newTab(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func fmtStat(s Stat) string {
	if !s.Defined() {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", float64(s))
}

func fmtAUROC(a AUROCEstimate) string {
	switch {
	case !a.Computable:
		return "not computable"
	case !a.Lower.Defined():
		return fmtStat(a.Estimate) + " [CI n/a]"
	}
	return fmt.Sprintf("%s [%s, %s]", fmtStat(a.Estimate), fmtStat(a.Lower), fmtStat(a.Upper))
}

// clean keeps a caller-supplied name from breaking the table's lines and columns.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}
