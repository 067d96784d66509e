package metrics

import (
	"fmt"
	"math"
)

// CalibrationBins is the number of equal-width bins on [0, 1] behind the expected
// calibration error and the reliability curve.
const CalibrationBins = 10

// ReliabilityBin is one point of the reliability curve: the records whose predicted
// probability falls in [Lower, Upper) — the last bin includes 1 — their mean predicted
// probability and the fraction that were positive. Both are NaN for an empty bin.
type ReliabilityBin struct {
	Lower            float64 `json:"lower"`
	Upper            float64 `json:"upper"`
	MeanPredicted    Stat    `json:"mean_predicted"`
	ObservedFraction Stat    `json:"observed_fraction"`
	Count            int     `json:"count"`
}

// Calibration is the expected calibration error, Σ (countᵦ/n)·|meanᵦ − observedᵦ| over
// the bins, and the bins themselves.
type Calibration struct {
	ECE  Stat             `json:"ece"`
	Bins []ReliabilityBin `json:"bins"`
}

// Brier is the mean squared difference between P(positive) and the outcome (1 for
// labels equal to 1, else 0); lower is better, 0.25 is an uninformative 0.5 forecast.
func Brier(p []float32, y []int32) (float64, error) {
	d, err := newBinaryData(p, y)
	if err != nil {
		return 0, fmt.Errorf("brier: %w", err)
	}
	if len(p) == 0 {
		return 0, fmt.Errorf("brier: %w", ErrNoSamples)
	}
	return float64(d.brier()), nil
}

func (d binaryData) brier() Stat {
	if len(d.score) == 0 {
		return NaN()
	}
	var sum float64
	for i, s := range d.score {
		o := 0.0
		if d.pos[i] {
			o = 1
		}
		sum += (s - o) * (s - o)
	}
	return Stat(sum / float64(len(d.score)))
}

// Calibrate bins P(positive) into CalibrationBins equal-width bins; labels equal to 1
// are positive.
func Calibrate(p []float32, y []int32) (Calibration, error) {
	d, err := newBinaryData(p, y)
	if err != nil {
		return Calibration{}, fmt.Errorf("calibration: %w", err)
	}
	return d.calibration(), nil
}

func (d binaryData) calibration() Calibration {
	var sumP, sumPos [CalibrationBins]float64
	var count [CalibrationBins]int
	for i, s := range d.score {
		b := calibrationBin(s)
		count[b]++
		sumP[b] += s
		if d.pos[i] {
			sumPos[b]++
		}
	}
	c := Calibration{Bins: make([]ReliabilityBin, CalibrationBins)}
	var ece float64
	for b := range c.Bins {
		bin := ReliabilityBin{
			Lower: float64(b) / CalibrationBins, Upper: float64(b+1) / CalibrationBins,
			MeanPredicted: NaN(), ObservedFraction: NaN(), Count: count[b],
		}
		if count[b] > 0 {
			k := float64(count[b])
			bin.MeanPredicted, bin.ObservedFraction = Stat(sumP[b]/k), Stat(sumPos[b]/k)
			ece += k * math.Abs(sumP[b]/k-sumPos[b]/k)
		}
		c.Bins[b] = bin
	}
	c.ECE = NaN()
	if len(d.score) > 0 {
		c.ECE = Stat(ece / float64(len(d.score)))
	}
	return c
}

// calibrationBin is the bin of a probability in [0, 1]; 1 belongs to the last bin.
func calibrationBin(p float64) int {
	b := int(p * CalibrationBins)
	return min(max(b, 0), CalibrationBins-1)
}
