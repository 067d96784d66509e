package onnx

import (
	"errors"
	"fmt"
)

var (
	// ErrParity means ONNX Runtime and the Go forward pass disagree beyond the tolerance:
	// the exported file does not compute what the model computes, and must not ship.
	ErrParity = errors.New("onnx runtime output differs from the go forward pass")
	// ErrLibraryMissing means the ONNX Runtime shared library is not where it is looked for.
	ErrLibraryMissing = errors.New("onnx runtime library not found")
	// ErrInvalidModel means bytes that are not a usable ONNX model of the expected form.
	ErrInvalidModel = errors.New("invalid onnx model")
	// ErrExport means the network, parameters, preprocessing or metadata cannot be exported.
	ErrExport = errors.New("cannot export")
)

// Refused wraps the error of a check a model failed, saying "refused" only when the
// model itself failed it: a missing ONNX Runtime library means the model could not be
// checked here, which is no verdict on the model.
func Refused(what string, err error) error {
	if errors.Is(err, ErrLibraryMissing) {
		return fmt.Errorf("%s: the model could not be checked here: %w", what, err)
	}
	return fmt.Errorf("%s: refused: %w", what, err)
}
