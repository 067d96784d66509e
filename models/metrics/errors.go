package metrics

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them with the
// detail of what was wrong and where (index, attribute name), never a patient value.
var (
	// ErrNoSamples means there was nothing to evaluate.
	ErrNoSamples = errors.New("metrics: no samples")
	// ErrShape means the probabilities, labels and classes do not fit together.
	ErrShape = errors.New("metrics: shape mismatch")
	// ErrProbability means a probability is NaN or outside [0, 1], or a row does not sum to 1.
	ErrProbability = errors.New("metrics: invalid probability")
	// ErrLabel means a label is not a class index.
	ErrLabel = errors.New("metrics: invalid label")
	// ErrOptions means the report options are invalid.
	ErrOptions = errors.New("metrics: invalid report options")
	// ErrOneClass means a rank statistic needs both classes and one is absent.
	ErrOneClass = errors.New("metrics: one class absent")
)
