package onnx

import "errors"

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
