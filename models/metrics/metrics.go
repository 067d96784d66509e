// Package metrics computes the clinical metrics a model validator reads: the quick
// training-loop scores (accuracy, log loss, AUROC) and the full clinical report — AUROC
// with a DeLong confidence interval, sensitivity, specificity, PPV, NPV and F1 at a
// chosen and at the Youden-optimal threshold, Brier score, calibration, confusion
// matrices, one-vs-rest per class, and the same broken down by subgroup with small
// groups suppressed. It is a leaf: plain slices in, numbers out.
package metrics

import (
	"fmt"
	"math"
)

// Binary summarises probabilities p of the positive class against labels y (0 or 1).
type Binary struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"` // at threshold 0.5
	LogLoss  float64 `json:"log_loss"`
	AUROC    float64 `json:"auroc"`
}

// EvaluateBinary computes the binary metrics. AUROC needs both classes present.
func EvaluateBinary(p []float32, y []int32) (Binary, error) {
	if len(p) != len(y) {
		return Binary{}, fmt.Errorf("evaluate binary: %d probabilities for %d labels: %w", len(p), len(y), ErrShape)
	}
	if len(p) == 0 {
		return Binary{}, fmt.Errorf("evaluate binary: %w", ErrNoSamples)
	}
	b := Binary{N: len(p)}
	correct := 0
	for i, prob := range p {
		pred := int32(0)
		if prob >= 0.5 {
			pred = 1
		}
		if pred == y[i] {
			correct++
		}
		b.LogLoss -= math.Log(clampProb(prob, y[i] == 1))
	}
	b.Accuracy = float64(correct) / float64(len(p))
	b.LogLoss /= float64(len(p))
	auc, err := AUROC(p, y)
	if err != nil {
		return Binary{}, err
	}
	b.AUROC = auc
	return b, nil
}

// clampProb is the probability given to the true class, kept away from 0 so that the
// log loss of a confident mistake is large but finite.
func clampProb(p float32, positive bool) float64 {
	q := float64(p)
	if !positive {
		q = 1 - q
	}
	return math.Max(q, 1e-15)
}

// Multiclass summarises softmax probabilities (n × classes, row-major).
type Multiclass struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	LogLoss  float64 `json:"log_loss"`
	// MacroAUROC is the mean one-vs-rest AUROC over classes present in y.
	MacroAUROC float64 `json:"macro_auroc"`
}

// EvaluateMulticlass computes the multi-class metrics.
func EvaluateMulticlass(p []float32, y []int32, classes int) (Multiclass, error) {
	n := len(y)
	if n == 0 {
		return Multiclass{}, fmt.Errorf("evaluate multiclass: %w", ErrNoSamples)
	}
	if classes < 2 || len(p) != n*classes {
		return Multiclass{}, fmt.Errorf("evaluate multiclass: %d probabilities for %d labels × %d classes: %w", len(p), n, classes, ErrShape)
	}
	if err := checkLabels(y, classes); err != nil {
		return Multiclass{}, fmt.Errorf("evaluate multiclass: %w", err)
	}
	m := Multiclass{N: n}
	correct := 0
	for i := 0; i < n; i++ {
		row := p[i*classes : (i+1)*classes]
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		if int32(best) == y[i] {
			correct++
		}
		m.LogLoss -= math.Log(math.Max(float64(row[y[i]]), 1e-15))
	}
	m.Accuracy = float64(correct) / float64(n)
	m.LogLoss /= float64(n)
	var sum float64
	var counted int
	score, bin := make([]float32, n), make([]int32, n)
	for c := 0; c < classes; c++ {
		for i := 0; i < n; i++ {
			score[i] = p[i*classes+c]
			bin[i] = 0
			if y[i] == int32(c) {
				bin[i] = 1
			}
		}
		if auc, err := AUROC(score, bin); err == nil {
			sum += auc
			counted++
		}
	}
	if counted > 0 {
		m.MacroAUROC = sum / float64(counted)
	}
	return m, nil
}
