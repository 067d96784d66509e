package external

import (
	"fmt"
	"strings"
)

// AUROCText is the AUROC with its CI, or why it is undefined, for one matrix cell.
func (e *Evaluation) AUROCText() string {
	if !e.AUROC.Estimate.Defined() {
		return "undefined"
	}
	return iv(e.AUROC.Interval)
}

// MaxPSIText is the largest input shift (name and PSI), or why there is none.
func (e *Evaluation) MaxPSIText() string {
	rows := e.Shift.Features
	if e.Shift.Intensity != nil {
		rows = append(rows, *e.Shift.Intensity)
	}
	best := -1
	for i, f := range rows {
		if f.PSI.Defined() && (best < 0 || f.PSI > rows[best].PSI) {
			best = i
		}
	}
	if best < 0 {
		return "not recorded"
	}
	return fmt.Sprintf("%.2f (%s)", float64(rows[best].PSI), rows[best].Name)
}

// FlagsText lists, briefly, the metrics whose local CI excludes the card's and the
// shifts flagged.
func (e *Evaluation) FlagsText() string {
	var out []string
	for _, c := range e.Comparison {
		if c.Outside {
			out = append(out, c.Metric+" differs")
		}
	}
	n := 0
	for _, f := range e.Shift.Features {
		if f.Flag != "" {
			n++
		}
	}
	if e.Shift.Intensity != nil && e.Shift.Intensity.Flag != "" {
		n++
	}
	if n > 0 {
		out = append(out, fmt.Sprintf("%d inputs shifted", n))
	}
	if e.Shift.Prevalence.Outside {
		out = append(out, "prevalence shifted")
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}
