//go:build !amd64 || purego

package kernels

// transpose16 is the vector transpose packB uses where the CPU has one; none here.
var transpose16 func(dst []float32, ldd int, src []float32, lds int, blocks int)
