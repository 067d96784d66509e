package external

import (
	"fmt"
	"math"
	"slices"

	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/release"
)

// Shift thresholds, by the usual reading: a PSI from 0.1 is a moderate and from 0.25 a
// major shift; an |SMD| from 0.1 a meaningful imbalance.
const (
	psiModerate = 0.1
	psiMajor    = 0.25
	smdFlag     = 0.1
)

// Shift is the trust's population against the development data the card records.
type Shift struct {
	Recorded   bool            `json:"recorded"`
	Note       string          `json:"note,omitempty"`
	Split      string          `json:"development_split,omitempty"`
	Features   []FeatureShift  `json:"features,omitempty"`
	Intensity  *FeatureShift   `json:"intensity,omitempty"` // images: every pixel
	Prevalence PrevalenceShift `json:"prevalence"`
}

// FeatureShift is one input's shift: its PSI over the development deciles, the
// standardised mean difference, and both means and SDs (aggregates of whole sets).
type FeatureShift struct {
	Name      string       `json:"name"`
	PSI       metrics.Stat `json:"psi"`
	SMD       metrics.Stat `json:"smd"`
	DevMean   float64      `json:"development_mean"`
	DevSD     float64      `json:"development_sd"`
	LocalMean metrics.Stat `json:"local_mean"`
	LocalSD   metrics.Stat `json:"local_sd"`
	Flag      string       `json:"flag,omitempty"`
}

// PrevalenceShift compares the share of the positive class. Outside is set when the
// local Wilson interval excludes the development share.
type PrevalenceShift struct {
	Development metrics.Stat     `json:"development"`
	Local       metrics.Interval `json:"local"`
	Difference  metrics.Stat     `json:"difference"`
	Outside     bool             `json:"outside_ci"`
}

// shift measures the local inputs against the card's distribution.
func shift(card *release.Card, d *Data, positives, floor int) Shift {
	nan := metrics.NaN()
	s := Shift{Prevalence: PrevalenceShift{Development: nan, Difference: nan, Local: metrics.Wilson(positives, d.N)}}
	if positives > 0 && positives < floor {
		s.Prevalence.Local = metrics.Wilson(0, 0) // would give a small count away
	}
	dist := card.Distribution
	if dist == nil {
		s.Note = "not recorded in the card (released before cards carried the development distribution)"
		return s
	}
	s.Recorded, s.Split = true, dist.Split
	if i := slices.Index(card.Classes, card.PositiveClass); i >= 0 && i < len(dist.ClassShares) {
		p := &s.Prevalence
		p.Development = metrics.Stat(dist.ClassShares[i])
		if p.Local.Estimate.Defined() {
			p.Difference = p.Local.Estimate - p.Development
			p.Outside = p.Development < p.Local.Lower || p.Development > p.Local.Upper
		}
	}
	if d.Images {
		if dist.Intensity == nil {
			s.Note = "the card records no intensity histogram"
			return s
		}
		pixels := make([]float64, len(d.X))
		for i, v := range d.X {
			pixels[i] = float64(v)
		}
		f := featureShift("pixel intensity", *dist.Intensity, pixels)
		s.Intensity = &f
		return s
	}
	if len(dist.Features) != len(card.Features) {
		s.Note = "the card records no per-input summaries"
		return s
	}
	k := len(card.Features)
	col := make([]float64, d.N)
	for j, ref := range dist.Features {
		for i := range col {
			col[i] = float64(d.X[i*k+j])
		}
		s.Features = append(s.Features, featureShift(ref.Name, ref.Distribution, col))
	}
	return s
}

func featureShift(name string, ref metrics.Distribution, v []float64) FeatureShift {
	f := FeatureShift{Name: name, DevMean: ref.Mean, DevSD: ref.SD, PSI: metrics.NaN(), SMD: metrics.NaN(), LocalMean: metrics.NaN(), LocalSD: metrics.NaN()}
	c, err := metrics.CompareTo(ref, v)
	if err != nil {
		return f
	}
	f.PSI, f.SMD, f.LocalMean, f.LocalSD = c.PSI, c.SMD, metrics.Stat(c.Local.Mean), metrics.Stat(c.Local.SD)
	var flags []string
	switch {
	case float64(f.PSI) >= psiMajor:
		flags = append(flags, fmt.Sprintf("PSI %.2f (major)", f.PSI))
	case float64(f.PSI) >= psiModerate:
		flags = append(flags, fmt.Sprintf("PSI %.2f (moderate)", f.PSI))
	}
	if f.SMD.Defined() && math.Abs(float64(f.SMD)) >= smdFlag {
		flags = append(flags, fmt.Sprintf("SMD %+.2f", f.SMD))
	}
	for i, fl := range flags {
		if i == 0 {
			f.Flag = fl
		} else {
			f.Flag += ", " + fl
		}
	}
	return f
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
