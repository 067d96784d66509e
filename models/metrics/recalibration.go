package metrics

import (
	"math"
)

// Recalibration is the logistic recalibration of predicted probabilities against
// outcomes (Cox 1958; Van Calster et al. 2016): Slope is b in logit P(y) = a + b·logit(p)
// — below 1 the predictions are too extreme, above 1 too modest — and Intercept is the
// calibration-in-the-large, a in logit P(y) = a + logit(p) with the slope fixed at 1:
// above 0 the model under-predicts the local risk, below 0 it over-predicts. Both are
// undefined without both outcomes, or when the fit does not converge (separation).
type Recalibration struct {
	Slope     Stat `json:"slope"`
	Intercept Stat `json:"intercept"`
}

// logitClip keeps probabilities of exactly 0 or 1 at a finite logit.
const logitClip = 1e-6

// Recalibrate fits the slope and the intercept of p (P(positive)) against y (1 positive).
func Recalibrate(p []float32, y []int32) Recalibration {
	r := Recalibration{Slope: NaN(), Intercept: NaN()}
	if len(p) != len(y) || len(p) == 0 {
		return r
	}
	x := make([]float64, len(p))
	pos := make([]bool, len(y))
	var k int
	for i := range p {
		q := math.Min(math.Max(float64(p[i]), logitClip), 1-logitClip)
		x[i], pos[i] = math.Log(q/(1-q)), y[i] == 1
		if pos[i] {
			k++
		}
	}
	if k == 0 || k == len(y) {
		return r
	}
	if _, b, ok := fitLogistic(x, pos, false); ok {
		r.Slope = Stat(b)
	}
	if a, _, ok := fitLogistic(x, pos, true); ok {
		r.Intercept = Stat(a)
	}
	return r
}

// fitLogistic fits logit P(y) = a + b·x by Newton–Raphson; with offset, b is fixed at 1
// and only a is fitted.
func fitLogistic(x []float64, y []bool, offset bool) (a, b float64, ok bool) {
	b = 1
	for iter := 0; iter < 100; iter++ {
		var ga, gb, haa, hab, hbb float64
		for i, xi := range x {
			eta := a + b*xi
			mu := 1 / (1 + math.Exp(-eta))
			o := 0.0
			if y[i] {
				o = 1
			}
			w := mu * (1 - mu)
			ga += o - mu
			gb += (o - mu) * xi
			haa += w
			hab += w * xi
			hbb += w * xi * xi
		}
		var da, db float64
		if offset {
			if haa <= 0 {
				return 0, 0, false
			}
			da = ga / haa
		} else {
			det := haa*hbb - hab*hab
			if det <= 1e-300 {
				return 0, 0, false
			}
			da, db = (hbb*ga-hab*gb)/det, (haa*gb-hab*ga)/det
		}
		a, b = a+da, b+db
		if math.IsNaN(a) || math.IsNaN(b) || math.Abs(a) > 1e6 || math.Abs(b) > 1e6 {
			return 0, 0, false
		}
		if math.Abs(da) < 1e-10 && math.Abs(db) < 1e-10 {
			return a, b, true
		}
	}
	return 0, 0, false
}
