// Package kernels holds dxtrain's fast CPU numeric kernels: a blocked SGEMM with Go-assembly
// micro-kernels (AVX-512, AVX2+FMA) and a pure-Go fallback, chosen at run time; conv2d by
// im2col + SGEMM and 2×2 max-pooling, forward and backward, over NCHW float32 tensors; the
// dense layers' element-wise epilogues (bias + ReLU, ReLU mask, column sums); the Adam and
// SGD-momentum updates; and the plain reference versions they are all checked against.
// Element-wise and optimizer kernels avoid FMA so that every version gives the reference's
// bits on every CPU.
//
// Kernels follow llm.c: every kernel has a straightforward reference, each faster version is
// tested against it, benchmarks measure them, and the winner is what Sgemm and the BLAS type
// use. Results are bit-identical whatever the thread count: work is split by blocks of the
// output only, never along K, so each output element is computed by the same sequence of
// operations on any number of goroutines. This is what validators' replay relies on.
//
// The package is a leaf: it imports only the standard library, golang.org/x/sys/cpu and gonum.
// gorgonia is given the BLAS type with gorgonia.Use(kernels.BLAS{}).
package kernels
