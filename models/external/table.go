package external

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dxtrain/dxtrain/models/metrics"
)

// WriteText prints the evaluation as a clinical safety officer reads it: the headline
// metrics beside the card's, the operating points, calibration, subgroups, shift and
// the notes. It prints only what the evaluation holds: aggregates.
func (e *Evaluation) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "records\t%s (positive class %s: %s)\tfloor %d\n", e.N, e.PositiveClass, e.Positives, e.Floor)
	fmt.Fprintln(tw, "\nMETRIC\tDEVELOPMENT\tLOCAL\t95% CI\tFLAG")
	for _, c := range e.Comparison {
		flag := ""
		if c.Outside {
			flag = "local CI excludes development"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Metric, num(c.Development), num(c.Local), ci(c.Lower, c.Upper), flag)
	}
	if e.AUROC.Reason != "" {
		fmt.Fprintf(tw, "auroc\t%s\n", e.AUROC.Reason)
	}
	fmt.Fprintln(tw, "\nTHRESHOLD\tSENSITIVITY\tSPECIFICITY\tPPV\tNPV\tTP/FP/TN/FN")
	for _, op := range []*Operating{&e.AtCard, e.AtLocal} {
		if op == nil {
			continue
		}
		which := "card"
		if op == e.AtLocal {
			which = "local"
		}
		fmt.Fprintf(tw, "%.3f (%s)\t%s\t%s\t%s\t%s\t%s/%s/%s/%s\n", op.Threshold, which, iv(op.Sensitivity), iv(op.Specificity), iv(op.PPV), iv(op.NPV),
			op.TP, op.FP, op.TN, op.FN)
	}
	c := e.Calibration
	fmt.Fprintf(tw, "\ncalibration\tslope %s\tintercept %s\tECE %s\tBrier %s\n", num(c.Slope), num(c.Intercept), num(c.ECE), num(c.Brier))
	for _, a := range e.Subgroups {
		fmt.Fprintf(tw, "\nSUBGROUP %s\tN\tPOSITIVES\tAUROC (95%% CI)\tSENSITIVITY\tSPECIFICITY\n", a.Attribute)
		for _, g := range a.Groups {
			if g.Suppressed {
				fmt.Fprintf(tw, "%s\t%s\t\tsuppressed\n", g.Value, g.N)
				continue
			}
			au := g.AUROC.Reason
			if g.AUROC.Estimate.Defined() {
				au = iv(g.AUROC.Interval)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.Value, g.N, g.Positives, au, iv(g.AtCard.Sensitivity), iv(g.AtCard.Specificity))
		}
	}
	s := e.Shift
	fmt.Fprintln(tw, "\nSHIFT")
	if !s.Recorded {
		fmt.Fprintf(tw, "dataset shift\t%s\n", s.Note)
	} else {
		fmt.Fprintf(tw, "INPUT\tPSI\tSMD\tDEV MEAN (SD)\tLOCAL MEAN (SD)\tFLAG\n")
		rows := s.Features
		if s.Intensity != nil {
			rows = append(rows, *s.Intensity)
		}
		for _, f := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g (%.4g)\t%s (%s)\t%s\n", f.Name, num(f.PSI), num(f.SMD), f.DevMean, f.DevSD, num(f.LocalMean), num(f.LocalSD), f.Flag)
		}
	}
	p := s.Prevalence
	fmt.Fprintf(tw, "prevalence\tdevelopment %s\tlocal %s\n", num(p.Development), iv(p.Local))
	if len(e.Notes) > 0 {
		fmt.Fprintln(tw, "\nNOTES")
		for _, n := range e.Notes {
			fmt.Fprintf(tw, "- %s\n", n)
		}
	}
	return tw.Flush()
}

func num(s metrics.Stat) string {
	if !s.Defined() {
		return "undefined"
	}
	return fmt.Sprintf("%.3f", float64(s))
}

func ci(lo, hi metrics.Stat) string {
	if !lo.Defined() || !hi.Defined() {
		return "-"
	}
	return fmt.Sprintf("[%.3f, %.3f]", float64(lo), float64(hi))
}

func iv(i metrics.Interval) string {
	if !i.Estimate.Defined() {
		return "undefined"
	}
	return num(i.Estimate) + " " + ci(i.Lower, i.Upper)
}
