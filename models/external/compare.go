package external

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/release"
)

// Compared is one metric beside its development figure from the card. Outside is set
// when the local 95% interval excludes the development estimate: the model does not
// perform here as it did in development.
type Compared struct {
	Metric      string       `json:"metric"`
	Development metrics.Stat `json:"development"`
	Local       metrics.Stat `json:"local"`
	Lower       metrics.Stat `json:"ci_lower"`
	Upper       metrics.Stat `json:"ci_upper"`
	Outside     bool         `json:"outside_ci"`
}

// devFigures are the card's development figures for the positive class.
type devFigures struct {
	recorded                                     bool
	threshold                                    float64
	auroc, sens, spec, ppv, npv, ece, prevalence metrics.Stat
}

// development reads the card's evaluation (a models/metrics clinical report): the
// binary figures, or the positive class's one-vs-rest figures of a multi-class model.
func development(card *release.Card) devFigures {
	nan := metrics.NaN()
	d := devFigures{threshold: metrics.DefaultThreshold, auroc: nan, sens: nan, spec: nan, ppv: nan, npv: nan, ece: nan, prevalence: nan}
	var rep metrics.ClinicalReport
	if err := json.Unmarshal(card.Evaluation, &rep); err != nil {
		return d
	}
	if rep.Threshold > 0 && rep.Threshold <= 1 {
		d.threshold = rep.Threshold
	}
	b := rep.Overall.Binary
	if m := rep.Overall.Multiclass; m != nil {
		if i := slices.Index(card.Classes, card.PositiveClass); i >= 0 && i < len(m.PerClass) {
			b = &m.PerClass[i]
		}
	}
	if b == nil {
		return d
	}
	d.recorded = true
	d.auroc, d.ece, d.prevalence = b.AUROC.Estimate, b.Calibration.ECE, b.Prevalence
	p := b.AtThreshold
	d.sens, d.spec, d.ppv, d.npv = p.Sensitivity, p.Specificity, p.PPV, p.NPV
	return d
}

// compare sets each local metric beside its development figure.
func compare(e *Evaluation, dev devFigures) []Compared {
	row := func(name string, devV metrics.Stat, local metrics.Interval) Compared {
		c := Compared{Metric: name, Development: devV, Local: local.Estimate, Lower: local.Lower, Upper: local.Upper}
		c.Outside = devV.Defined() && local.Lower.Defined() && local.Upper.Defined() &&
			(float64(devV) < float64(local.Lower) || float64(devV) > float64(local.Upper))
		return c
	}
	nan := metrics.NaN()
	prev := e.Shift.Prevalence.Local // Wilson, undefined when the count would be given away
	return []Compared{
		row("auroc", dev.auroc, e.AUROC.Interval),
		row("sensitivity", dev.sens, e.AtCard.Sensitivity),
		row("specificity", dev.spec, e.AtCard.Specificity),
		row("ppv", dev.ppv, e.AtCard.PPV),
		row("npv", dev.npv, e.AtCard.NPV),
		row("ece", dev.ece, metrics.Interval{Estimate: e.Calibration.ECE, Lower: nan, Upper: nan}),
		row("prevalence", dev.prevalence, prev),
	}
}

// notes say, in words, what is undefined or suppressed and why.
func notes(e *Evaluation, positives, n, floor int) []string {
	var out []string
	switch {
	case positives == 0:
		out = append(out, "no positive records: AUROC, sensitivity, PPV and the calibration slope and intercept are undefined")
	case positives == n:
		out = append(out, "no negative records: AUROC, specificity, NPV and the calibration slope and intercept are undefined")
	case e.Positives.Suppressed() || n-positives < floor:
		out = append(out, fmt.Sprintf("fewer than %d positive or negative records: AUROC, prevalence and calibration fit suppressed", floor))
	}
	cells := 0
	for _, op := range []*Operating{&e.AtCard, e.AtLocal} {
		if op == nil {
			continue
		}
		for _, c := range []Count{op.TP, op.FP, op.TN, op.FN} {
			if c.Suppressed() {
				cells++
			}
		}
	}
	if cells > 0 {
		out = append(out, fmt.Sprintf("%d confusion cells under the floor of %d are shown as <%d", cells, floor, floor))
	}
	for _, a := range e.Subgroups {
		k := 0
		for _, g := range a.Groups {
			if g.Suppressed {
				k++
			}
		}
		if k > 0 {
			out = append(out, fmt.Sprintf("subgroup %s: %d groups with fewer than %d records suppressed", a.Attribute, k, floor))
		}
	}
	for _, c := range e.Comparison {
		if c.Outside {
			out = append(out, fmt.Sprintf("%s: the local 95%% CI [%.3f, %.3f] excludes the development figure %.3f", c.Metric, c.Lower, c.Upper, c.Development))
		}
	}
	if !e.Shift.Recorded {
		out = append(out, "dataset shift: "+e.Shift.Note)
	}
	for _, f := range e.Shift.Features {
		if f.Flag != "" {
			out = append(out, fmt.Sprintf("shift in %s: %s", f.Name, f.Flag))
		}
	}
	if f := e.Shift.Intensity; f != nil && f.Flag != "" {
		out = append(out, "shift in pixel intensities: "+f.Flag)
	}
	if p := e.Shift.Prevalence; p.Outside {
		out = append(out, fmt.Sprintf("label prevalence shift: development %.3f, local %.3f", p.Development, p.Local.Estimate))
	}
	if out == nil {
		out = []string{}
	}
	return out
}
