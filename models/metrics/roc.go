package metrics

import (
	"math"
	"strconv"
)

// maxROCPoints bounds the curve a report carries: enough to draw it, a few kB of JSON
// however large the evaluation set.
const maxROCPoints = 101

// ROCPoint is the rule "positive when score ≥ Threshold": its false- and true-positive
// rates. The curve runs from (0,0) at +Inf to (1,1) at the lowest score.
type ROCPoint struct {
	Threshold float64 `json:"threshold"`
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
}

// MarshalJSON writes the +Inf threshold of the curve's origin as null (JSON has no
// infinity).
func (p ROCPoint) MarshalJSON() ([]byte, error) {
	t := "null"
	if !math.IsInf(p.Threshold, 0) && !math.IsNaN(p.Threshold) {
		t = formatFloat(p.Threshold)
	}
	return []byte(`{"threshold":` + t + `,"fpr":` + formatFloat(p.FPR) + `,"tpr":` + formatFloat(p.TPR) + `}`), nil
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// roc is the empirical ROC curve: one point per distinct score (tied scores move
// both rates at once, which makes the trapezoidal area equal to the Mann–Whitney
// AUROC), thinned to at most maxROCPoints with both ends kept. It is nil when either
// class is absent.
func (d binaryData) roc() []ROCPoint {
	p, n := d.classes()
	if p == 0 || n == 0 {
		return nil
	}
	curve := []ROCPoint{{Threshold: math.Inf(1)}}
	d.sweep(func(t float64, tp, fp int) {
		curve = append(curve, ROCPoint{Threshold: t, FPR: float64(fp) / float64(n), TPR: float64(tp) / float64(p)})
	})
	return thin(curve, maxROCPoints)
}

// thin keeps at most max points, evenly spaced by index, always the first and last.
func thin(curve []ROCPoint, max int) []ROCPoint {
	if len(curve) <= max {
		return curve
	}
	out := make([]ROCPoint, 0, max)
	for k := 0; k < max; k++ {
		out = append(out, curve[k*(len(curve)-1)/(max-1)])
	}
	return out
}

// trapezoidArea is the area under a curve by the trapezoidal rule.
func trapezoidArea(curve []ROCPoint) float64 {
	area := 0.0
	for i := 1; i < len(curve); i++ {
		area += (curve[i].FPR - curve[i-1].FPR) * (curve[i].TPR + curve[i-1].TPR) / 2
	}
	return area
}
