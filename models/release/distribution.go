package release

import (
	"fmt"
	"math"

	"github.com/dxtrain/dxtrain/models/metrics"
)

// CardDistribution is what the development data looked like, so a trust can measure
// how far its own population is from it: per input, a summary (mean, SD, decile cut
// points and the share in each bin) — for images one intensity histogram over every
// pixel — and the share of each class. Only aggregates of a whole split, never a row.
// Cards released before it have none: the shift section then says so.
type CardDistribution struct {
	Split       string                `json:"split"` // the split summarised: "train", or "validation" when the training split is streamed
	N           int                   `json:"n"`
	ClassShares []float64             `json:"class_shares"` // in Classes order
	Features    []CardFeature         `json:"features,omitempty"`
	Intensity   *metrics.Distribution `json:"intensity,omitempty"` // images: pixel values on [0, 1] in equal-width bins
}

// CardFeature is one input column's development distribution.
type CardFeature struct {
	Name string `json:"name"`
	metrics.Distribution
}

// IntensityEdges are the interior cut points of the pixel intensity histogram: ten
// equal-width bins on [0, 1].
func IntensityEdges() []float64 {
	e := make([]float64, metrics.ShiftBins-1)
	for i := range e {
		e[i] = float64(i+1) / metrics.ShiftBins
	}
	return e
}

// validate checks the distribution against the card's classes and features.
func (d *CardDistribution) validate(c *Card) error {
	if d.Split != "train" && d.Split != "validation" && d.Split != "test" {
		return fmt.Errorf("distribution.split %q, want train, validation or test", d.Split)
	}
	if d.N < 1 {
		return fmt.Errorf("distribution.n is %d", d.N)
	}
	if len(d.ClassShares) != len(c.Classes) {
		return fmt.Errorf("distribution.class_shares has %d entries for %d classes", len(d.ClassShares), len(c.Classes))
	}
	if err := checkShares("distribution.class_shares", d.ClassShares); err != nil {
		return err
	}
	if len(d.Features) > 0 && len(d.Features) != len(c.Features) {
		return fmt.Errorf("distribution.features has %d entries for %d features", len(d.Features), len(c.Features))
	}
	for i, f := range d.Features {
		if f.Name != c.Features[i] {
			return fmt.Errorf("distribution.features[%d] is not features[%d]", i, i)
		}
		if err := checkSummary(fmt.Sprintf("distribution.features[%d]", i), f.Distribution); err != nil {
			return err
		}
	}
	if d.Intensity != nil {
		return checkSummary("distribution.intensity", *d.Intensity)
	}
	return nil
}

func checkSummary(what string, s metrics.Distribution) error {
	if !finite(s.Mean) || !finite(s.SD) || s.SD < 0 {
		return fmt.Errorf("%s: mean and sd must be finite (sd ≥ 0)", what)
	}
	if len(s.Edges) >= metrics.ShiftBins || len(s.Proportions) != len(s.Edges)+1 {
		return fmt.Errorf("%s: %d cut points and %d shares, want at most %d cut points and one share more", what, len(s.Edges), len(s.Proportions), metrics.ShiftBins-1)
	}
	for i, e := range s.Edges {
		if !finite(e) || (i > 0 && e <= s.Edges[i-1]) {
			return fmt.Errorf("%s: cut point %d is not finite and above the one before", what, i)
		}
	}
	return checkShares(what+".proportions", s.Proportions)
}

// checkShares accepts shares in [0, 1] that sum to 1.
func checkShares(what string, p []float64) error {
	var sum float64
	for i, v := range p {
		if !finite(v) || v < 0 || v > 1 {
			return fmt.Errorf("%s[%d] is not a share in [0, 1]", what, i)
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("%s sum to %g, want 1", what, sum)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
