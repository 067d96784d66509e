package models

import (
	G "gorgonia.org/gorgonia"

	"github.com/dxtrain/dxtrain/kernels"
)

// Every matrix product of every model goes through dxtrain's own SGEMM: packed, blocked,
// AVX-512/AVX2 micro-kernels, and bit-identical whatever the thread count, which the
// validators' replay relies on.
func init() { G.Use(kernels.BLAS{}) }
