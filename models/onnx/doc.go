// Package onnx exports a models.Network with its parameters and preprocessing to an ONNX
// file (opset 17, dynamic batch), runs such files through ONNX Runtime, and refuses an
// export whose ONNX Runtime outputs differ from the plain-Go forward pass (models.Infer).
//
// The ONNX graph carries the standardisation of the training split, so a trust feeds raw
// measurements. ONNX Runtime is the real shared library from onnxruntime-node@1.30.0,
// found through LibraryPath and loaded once per process.
package onnx
