package release

import (
	"fmt"
	"math"

	"github.com/dxtrain/dxtrain/models/onnx"
)

// CheckRuntime loads a verified release into ONNX Runtime and checks that the model
// reads as many values as the card lists features (when it lists them) and writes one
// probability per class (or one for a two-class sigmoid head), and that one all-zero
// sample gives finite probabilities in [0, 1]. It needs the ONNX Runtime library.
func CheckRuntime(v *Verified) error {
	sess, err := onnx.Load(v.Files.ONNX)
	if err != nil {
		return fmt.Errorf("%s: %w", ONNXFile, err)
	}
	defer sess.Close()
	if n := len(v.Card.Features); n > 0 && sess.InputSize() != n {
		return fmt.Errorf("%w: %s reads %d values per sample, %s lists %d features", ErrMismatch, ONNXFile, sess.InputSize(), CardFile, n)
	}
	classes := len(v.Card.Classes)
	if out := sess.OutputSize(); out != classes && (out != 1 || classes != 2) {
		return fmt.Errorf("%w: %s writes %d values per sample, %s lists %d classes", ErrMismatch, ONNXFile, out, CardFile, classes)
	}
	probs, err := sess.Run(make([]float32, sess.InputSize()), 1)
	if err != nil {
		return fmt.Errorf("%s: %w", ONNXFile, err)
	}
	for i, p := range probs {
		if math.IsNaN(float64(p)) || p < 0 || p > 1 {
			return fmt.Errorf("%s: output %d is %g on an all-zero sample, not a probability", ONNXFile, i, p)
		}
	}
	return nil
}
