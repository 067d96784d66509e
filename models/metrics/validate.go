package metrics

import (
	"fmt"
	"math"
)

// rowSumTolerance is how far a row of multi-class probabilities may stray from 1:
// float32 softmax rounding is far inside it, per-class sigmoids or logits are not.
const rowSumTolerance = 1e-3

// checkLabels requires every label to be a class index in [0, classes).
func checkLabels(y []int32, classes int) error {
	for i, v := range y {
		if v < 0 || int(v) >= classes {
			return fmt.Errorf("label of record %d is %d, want 0..%d: %w", i, v, classes-1, ErrLabel)
		}
	}
	return nil
}

// checkProbabilities requires every value in [0, 1] and, for more than one column,
// each row to sum to 1.
func checkProbabilities(p []float32, cols int) error {
	for i, v := range p {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			return fmt.Errorf("probability %d (record %d, column %d) is %g, want [0, 1]: %w", i, i/cols, i%cols, v, ErrProbability)
		}
	}
	if cols == 1 {
		return nil
	}
	for r := 0; r*cols < len(p); r++ {
		var sum float64
		for _, v := range p[r*cols : (r+1)*cols] {
			sum += float64(v)
		}
		if math.Abs(sum-1) > rowSumTolerance {
			return fmt.Errorf("probabilities of record %d sum to %g, want 1 (softmax output): %w", r, sum, ErrProbability)
		}
	}
	return nil
}
