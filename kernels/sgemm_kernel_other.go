//go:build !amd64 || purego

package kernels

// availableKernels lists the versions this CPU runs: only the pure-Go one off amd64.
func availableKernels() []microKernel { return []microKernel{genericKernel} }
