package metrics

import (
	"fmt"
	"math"
	"slices"
)

// ShiftBins is the number of bins behind a population stability index: the deciles of
// the reference (development) distribution, so each holds a tenth of it.
const ShiftBins = 10

// psiFloor replaces an empty bin's proportion in the PSI, whose log term is otherwise
// infinite; it is the usual small constant, well below 1/ShiftBins.
const psiFloor = 1e-4

// Distribution summarises one input's values without any one of them: mean, standard
// deviation, the interior cut points of ShiftBins bins and the share of values in each.
// Cut points are interpolated quantiles (or fixed edges, for pixel intensities), not
// records; only summaries of many rows are ever made into one.
type Distribution struct {
	Mean        float64   `json:"mean"`
	SD          float64   `json:"sd"`
	Edges       []float64 `json:"edges"`       // ShiftBins−1 increasing interior cut points
	Proportions []float64 `json:"proportions"` // ShiftBins shares, summing to 1
}

// Summarise is the distribution of v binned at its own deciles. It needs at least
// ShiftBins values.
func Summarise(v []float64) (Distribution, error) {
	if len(v) < ShiftBins {
		return Distribution{}, fmt.Errorf("summarise %d values, need at least %d: %w", len(v), ShiftBins, ErrNoSamples)
	}
	s := slices.Clone(v)
	slices.Sort(s)
	edges := make([]float64, 0, ShiftBins-1)
	for k := 1; k < ShiftBins; k++ {
		q := quantileSorted(s, float64(k)/ShiftBins)
		if len(edges) > 0 && q <= edges[len(edges)-1] {
			continue // ties (a binary or discrete input): fewer, wider bins
		}
		edges = append(edges, q)
	}
	return SummariseAt(v, edges)
}

// SummariseAt is the distribution of v binned at the given increasing cut points.
func SummariseAt(v []float64, edges []float64) (Distribution, error) {
	if len(v) == 0 {
		return Distribution{}, fmt.Errorf("summarise: %w", ErrNoSamples)
	}
	for i := 1; i < len(edges); i++ {
		if !(edges[i] > edges[i-1]) {
			return Distribution{}, fmt.Errorf("summarise: cut point %d is not above the one before: %w", i, ErrOptions)
		}
	}
	mean, sd := meanSD(v)
	return Distribution{Mean: mean, SD: sd, Edges: slices.Clone(edges), Proportions: binShares(v, edges)}, nil
}

// binShares is the share of v in each of len(edges)+1 bins; bin b holds values in
// [edges[b−1], edges[b]).
func binShares(v []float64, edges []float64) []float64 {
	counts := make([]float64, len(edges)+1)
	for _, x := range v {
		b, _ := slices.BinarySearch(edges, x)
		if b < len(edges) && edges[b] == x {
			b++ // a value on a cut point belongs to the bin above it
		}
		counts[b]++
	}
	for i := range counts {
		counts[i] /= float64(len(v))
	}
	return counts
}

// Shift compares local values with a reference distribution.
type Shift struct {
	PSI Stat `json:"psi"` // population stability index over the reference's bins
	SMD Stat `json:"smd"` // standardised mean difference, (local − reference) / pooled SD
	// Local is the local values' mean, SD and shares in the reference's bins.
	Local Distribution `json:"local"`
}

// CompareTo bins v at ref's cut points and returns the population stability index,
// Σ (localᵦ − refᵦ)·ln(localᵦ/refᵦ), and the standardised mean difference. By the
// usual reading a PSI under 0.1 is stable, 0.1–0.25 a moderate and above 0.25 a major
// shift; an |SMD| above 0.1 is a meaningful imbalance.
func CompareTo(ref Distribution, v []float64) (Shift, error) {
	if len(ref.Proportions) != len(ref.Edges)+1 {
		return Shift{}, fmt.Errorf("shift: reference has %d cut points and %d shares: %w", len(ref.Edges), len(ref.Proportions), ErrShape)
	}
	local, err := SummariseAt(v, ref.Edges)
	if err != nil {
		return Shift{}, fmt.Errorf("shift: %w", err)
	}
	return Shift{PSI: Stat(PSI(ref.Proportions, local.Proportions)), SMD: SMD(ref.Mean, ref.SD, local.Mean, local.SD), Local: local}, nil
}

// PSI is the population stability index of actual against expected shares over the
// same bins; an empty bin counts as psiFloor.
func PSI(expected, actual []float64) float64 {
	var psi float64
	for i := range expected {
		e, a := math.Max(expected[i], psiFloor), math.Max(actual[i], psiFloor)
		psi += (a - e) * math.Log(a/e)
	}
	return psi
}

// SMD is the standardised mean difference (m2 − m1)/√((s1² + s2²)/2), undefined when
// both standard deviations are zero.
func SMD(m1, s1, m2, s2 float64) Stat {
	pooled := math.Sqrt((s1*s1 + s2*s2) / 2)
	if pooled == 0 || math.IsNaN(pooled) {
		return NaN()
	}
	return Stat((m2 - m1) / pooled)
}

// quantileSorted is the linear-interpolation quantile (R's type 7) of sorted s.
func quantileSorted(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// meanSD is the mean and the sample standard deviation (0 for a single value).
func meanSD(v []float64) (float64, float64) {
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}
