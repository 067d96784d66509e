package datasets

import "math"

// minStd is the standard deviation below which a feature counts as constant and
// is left unscaled (std 1), instead of being blown up by a near-zero divisor.
const minStd = 1e-12

// FitStandardizer computes each feature's mean and population standard
// deviation over the given rows of the row-major matrix x (so that, fitted on
// the training rows only, nothing leaks from validation or test). Sums are in
// float64. A constant feature gets std 1. With no rows, mean is 0 and std 1.
// Row indices out of range panic: that is a programming error, not bad input.
func FitStandardizer(x []float32, features int, rows []int) (mean, std []float32) {
	sum := make([]float64, features)
	for _, r := range rows {
		for j, v := range x[r*features : (r+1)*features] {
			sum[j] += float64(v)
		}
	}
	mu := make([]float64, features)
	sq := make([]float64, features)
	if n := float64(len(rows)); n > 0 {
		for j := range mu {
			mu[j] = sum[j] / n
		}
		for _, r := range rows {
			for j, v := range x[r*features : (r+1)*features] {
				d := float64(v) - mu[j]
				sq[j] += d * d
			}
		}
		for j := range sq {
			sq[j] /= n
		}
	}
	mean = make([]float32, features)
	std = make([]float32, features)
	for j := range features {
		mean[j] = float32(mu[j])
		s := math.Sqrt(sq[j])
		if s < minStd {
			s = 1
		}
		std[j] = float32(s)
	}
	return mean, std
}

// Standardize replaces every x[i][j] with (x[i][j] − mean[j]) / std[j], in place,
// in float32: the same two float32 operations (Sub, Div) the exported ONNX graph
// performs, so Go and ONNX Runtime see identical inputs.
func Standardize(x []float32, features int, mean, std []float32) {
	for i := 0; i+features <= len(x); i += features {
		row := x[i : i+features]
		for j := range row {
			row[j] = (row[j] - mean[j]) / std[j]
		}
	}
}
