package metrics

import (
	"fmt"
	"math"
	"sort"
)

// CIMethod names how the AUROC confidence interval is computed, as the report states it.
const CIMethod = "delong"

// CILevel is the coverage of the reported confidence intervals.
const CILevel = 0.95

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// AUROCEstimate is the area under the ROC curve with its DeLong standard error and 95%
// confidence interval. When one class is absent nothing is computable and Reason says
// why; with a single record of a class the area exists but its variance does not.
type AUROCEstimate struct {
	Computable bool   `json:"computable"`
	Reason     string `json:"reason,omitempty"`
	Estimate   Stat   `json:"estimate"`
	StdErr     Stat   `json:"std_err"`
	Lower      Stat   `json:"ci_lower"`
	Upper      Stat   `json:"ci_upper"`
}

// AUROC is the probability that a random positive scores above a random negative,
// ties counting one half (the Mann–Whitney U statistic over n₊·n₋). Labels equal to 1
// are positive, all others negative.
func AUROC(score []float32, y []int32) (float64, error) {
	auc, _, err := DeLong(score, y)
	return auc, err
}

// DeLong returns the AUROC and its variance by DeLong, DeLong & Clarke-Pearson (1988),
// computed with the O(n log n) midrank algorithm of Sun & Xu (2014). Labels equal to 1
// are positive, all others negative. The variance is NaN when a class has a single
// record (its sample variance needs two).
func DeLong(score []float32, y []int32) (auc, variance float64, err error) {
	if len(score) != len(y) {
		return 0, 0, fmt.Errorf("auroc: %d scores for %d labels: %w", len(score), len(y), ErrShape)
	}
	var x, w []float64 // scores of positives and negatives
	for i, s := range score {
		if y[i] == 1 {
			x = append(x, float64(s))
		} else {
			w = append(w, float64(s))
		}
	}
	return delong(x, w)
}

// delong is the Sun & Xu algorithm on the positive scores x and negative scores w.
// With tz the midranks in the pooled sample and tx, tw those within each class, the
// structural components are V10ᵢ = (tzᵢ − txᵢ)/n (the share of negatives below
// positive i) and V01ⱼ = 1 − (tzⱼ − twⱼ)/m (the share of positives above negative j);
// the AUROC is their mean and Var = S10/m + S01/n from their sample variances.
func delong(x, w []float64) (auc, variance float64, err error) {
	m, n := len(x), len(w)
	if m == 0 || n == 0 {
		return 0, 0, fmt.Errorf("auroc: have %d positive and %d negative records: %w", m, n, ErrOneClass)
	}
	z := make([]float64, 0, m+n)
	z = append(append(z, x...), w...)
	tz, tx, tw := midranks(z), midranks(x), midranks(w)
	v10 := make([]float64, m)
	var rankSum float64
	for i := range x {
		rankSum += tz[i]
		v10[i] = (tz[i] - tx[i]) / float64(n)
	}
	v01 := make([]float64, n)
	for j := range w {
		v01[j] = 1 - (tz[m+j]-tw[j])/float64(m)
	}
	auc = (rankSum - float64(m)*float64(m+1)/2) / (float64(m) * float64(n))
	if m < 2 || n < 2 {
		return auc, math.NaN(), nil
	}
	return auc, sampleVariance(v10)/float64(m) + sampleVariance(v01)/float64(n), nil
}

// midranks returns the 1-based ranks of v, tied values sharing their mean rank.
func midranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && v[idx[end]] == v[idx[start]] {
			end++
		}
		mid := float64(start+end+1) / 2
		for _, i := range idx[start:end] {
			r[i] = mid
		}
		start = end
	}
	return r
}

// sampleVariance is the unbiased variance (denominator len−1) of at least two values.
func sampleVariance(v []float64) float64 {
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return ss / float64(len(v)-1)
}

// estimateAUROC is the report's AUROC entry for positive-class scores x and negative
// w: a Wald interval on the DeLong standard error, clipped to [0, 1].
func estimateAUROC(x, w []float64) AUROCEstimate {
	e := AUROCEstimate{Estimate: NaN(), StdErr: NaN(), Lower: NaN(), Upper: NaN()}
	switch {
	case len(x) == 0 && len(w) == 0:
		e.Reason = "not computable: no records"
		return e
	case len(x) == 0:
		e.Reason = "not computable: no positive records"
		return e
	case len(w) == 0:
		e.Reason = "not computable: no negative records"
		return e
	}
	auc, v, err := delong(x, w)
	if err != nil { // unreachable after the checks above; kept so a change cannot panic
		e.Reason = "not computable: " + err.Error()
		return e
	}
	e.Computable, e.Estimate = true, Stat(auc)
	if math.IsNaN(v) {
		e.Reason = "confidence interval not computable: a class has a single record"
		return e
	}
	se := math.Sqrt(math.Max(v, 0))
	e.StdErr = Stat(se)
	e.Lower = Stat(math.Max(0, auc-z95*se))
	e.Upper = Stat(math.Min(1, auc+z95*se))
	return e
}
