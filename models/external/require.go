package external

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dxtrain/dxtrain/models/metrics"
)

// ErrRequirement means a local lower confidence bound missed a requirement.
var ErrRequirement = errors.New("requirement not met")

// Requirement is "METRIC>=VALUE": met when the lower bound of the metric's local 95%
// interval reaches VALUE — the evidence, not the point estimate, must clear the bar.
type Requirement struct {
	Metric string
	Min    float64
}

// requirable are the metrics with an interval, at the local threshold when the trust
// chose one, else the card's.
var requirable = []string{"auroc", "sensitivity", "specificity", "ppv", "npv"}

// ParseRequirements reads "auroc>=0.85,sensitivity>=0.9".
func ParseRequirements(s string) ([]Requirement, error) {
	var out []Requirement
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, ">=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("requirement %d: want METRIC>=VALUE, e.g. auroc>=0.85", i+1)
		}
		if !contains(requirable, name) {
			return nil, fmt.Errorf("requirement %d: metric %q, want one of %s", i+1, name, strings.Join(requirable, ", "))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("requirement %d (%s): the value must be a number in [0, 1]", i+1, name)
		}
		out = append(out, Requirement{Metric: name, Min: v})
	}
	return out, nil
}

// Verdict is one requirement checked.
type Verdict struct {
	Requirement
	Lower metrics.Stat // the local lower bound; NaN when undefined
	Met   bool
}

// Check tests each requirement against the evaluation's lower bounds; an undefined
// bound (no positives, a group under the floor) does not meet anything. The error
// wraps ErrRequirement and names every miss.
func (e *Evaluation) Check(reqs []Requirement) ([]Verdict, error) {
	op := e.AtCard
	if e.AtLocal != nil {
		op = *e.AtLocal
	}
	bounds := map[string]metrics.Stat{"auroc": e.AUROC.Lower, "sensitivity": op.Sensitivity.Lower,
		"specificity": op.Specificity.Lower, "ppv": op.PPV.Lower, "npv": op.NPV.Lower}
	var out []Verdict
	var missed []string
	for _, r := range reqs {
		lo := bounds[r.Metric]
		v := Verdict{Requirement: r, Lower: lo, Met: lo.Defined() && float64(lo) >= r.Min}
		if !v.Met {
			got := "undefined"
			if lo.Defined() {
				got = fmt.Sprintf("%.3f", float64(lo))
			}
			missed = append(missed, fmt.Sprintf("%s lower 95%% bound %s < %g", r.Metric, got, r.Min))
		}
		out = append(out, v)
	}
	if len(missed) > 0 {
		return out, fmt.Errorf("%w: %s", ErrRequirement, strings.Join(missed, "; "))
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
