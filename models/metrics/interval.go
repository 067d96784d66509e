package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is an estimate with its 95% confidence interval; all NaN when undefined.
type Interval struct {
	Estimate Stat `json:"estimate"`
	Lower    Stat `json:"ci_lower"`
	Upper    Stat `json:"ci_upper"`
}

// Wilson is the proportion k/n with its Wilson score interval (better than the Wald
// interval near 0 and 1, where sensitivities live); undefined when n is 0.
func Wilson(k, n int) Interval {
	if n <= 0 {
		return Interval{NaN(), NaN(), NaN()}
	}
	p, nf, z2 := float64(k)/float64(n), float64(n), z95*z95
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / (1 + z2/nf)
	return Interval{Stat(p), Stat(math.Max(0, centre-half)), Stat(math.Min(1, centre+half))}
}

// Interval is the AUROC with its DeLong interval as an Interval (undefined
// parts NaN).
func (e AUROCEstimate) Interval() Interval {
	return Interval{e.Estimate, e.Lower, e.Upper}
}

// DeLongAUROC is the report's AUROC estimate for scores against labels (1 positive).
func DeLongAUROC(score []float32, y []int32) AUROCEstimate {
	d, err := newBinaryData(score, y)
	if err != nil {
		return estimateAUROC(nil, nil)
	}
	return estimateAUROC(d.split())
}

// BootstrapAUROC is the percentile bootstrap 95% interval of the AUROC from
// resamples stratified by class (each resample keeps the numbers of positives and
// negatives, as DeLong's variance does), with a seeded generator so the interval is
// reproducible. Undefined without both classes.
func BootstrapAUROC(score []float32, y []int32, resamples int, seed uint64) Interval {
	d, err := newBinaryData(score, y)
	if err != nil || resamples < 2 {
		return Interval{NaN(), NaN(), NaN()}
	}
	x, w := d.split()
	if len(x) == 0 || len(w) == 0 {
		return Interval{NaN(), NaN(), NaN()}
	}
	auc, _, _ := delong(x, w)
	rng := rand.New(rand.NewPCG(seed, 0x6d657472696373))
	bx, bw := make([]float64, len(x)), make([]float64, len(w))
	aucs := make([]float64, resamples)
	for r := range aucs {
		for i := range bx {
			bx[i] = x[rng.IntN(len(x))]
		}
		for j := range bw {
			bw[j] = w[rng.IntN(len(w))]
		}
		aucs[r] = mannWhitney(bx, bw)
	}
	slices.Sort(aucs)
	return Interval{Stat(auc), Stat(quantileSorted(aucs, 0.025)), Stat(quantileSorted(aucs, 0.975))}
}

// mannWhitney is the AUROC of positive scores x against negative w by sorting both:
// O((m+n) log(m+n)), without DeLong's variance components.
func mannWhitney(x, w []float64) float64 {
	sx, sw := slices.Clone(x), slices.Clone(w)
	slices.Sort(sx)
	slices.Sort(sw)
	var u float64
	lo, hi := 0, 0 // sw[:lo] < v, sw[lo:hi] == v
	for _, v := range sx {
		for lo < len(sw) && sw[lo] < v {
			lo++
		}
		if hi < lo {
			hi = lo
		}
		for hi < len(sw) && sw[hi] <= v {
			hi++
		}
		u += float64(lo) + float64(hi-lo)/2
	}
	return u / (float64(len(x)) * float64(len(w)))
}
