package onnx

import (
	"fmt"
	"math"

	"github.com/dxtrain/dxtrain/models"
)

// Verify runs model through ONNX Runtime on n raw samples and net's Go forward pass
// (pre applied to a copy, then models.Infer) and returns the largest absolute
// difference. It refuses with ErrParity, naming the sample and output, when any
// difference exceeds tol or either side produced NaN.
func Verify(model []byte, net models.Network, params []*models.Param, pre *models.Preprocess, rawInputs []float32, n int, tol float64) (float64, error) {
	if n < 1 {
		return 0, fmt.Errorf("verify onnx %s: %d samples, need at least 1", net.Architecture, n)
	}
	if !(tol >= 0) {
		return 0, fmt.Errorf("verify onnx %s: tolerance %g, must be ≥ 0", net.Architecture, tol)
	}
	sess, err := Load(model)
	if err != nil {
		return 0, fmt.Errorf("verify onnx %s: %w", net.Architecture, err)
	}
	defer sess.Close()
	got, err := sess.Run(rawInputs, n)
	if err != nil {
		return 0, fmt.Errorf("verify onnx %s: %w", net.Architecture, err)
	}
	x := append([]float32(nil), rawInputs...)
	pre.Apply(x)
	want, err := models.Infer(net, params, x, n)
	if err != nil {
		return 0, fmt.Errorf("verify onnx %s: go forward pass: %w", net.Architecture, err)
	}
	if len(got) != len(want) {
		return 0, fmt.Errorf("verify onnx %s: %w: onnx runtime gave %d values, go %d", net.Architecture, ErrParity, len(got), len(want))
	}
	outputs := len(want) / n
	worst, at := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if at < 0 || d > worst {
			worst, at = d, i
		}
	}
	if worst > tol {
		return worst, fmt.Errorf("verify onnx %s: %w: max |diff| %.3g > %g at sample %d output %d (onnx runtime %g, go %g)",
			net.Architecture, ErrParity, worst, tol, at/outputs, at%outputs, got[at], want[at])
	}
	return worst, nil
}
