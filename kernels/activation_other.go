//go:build !amd64 || purego

package kernels

// rowVersions lists the element-wise row kernels: only the Go ones off amd64.
func rowVersions() []rowFuncs { return []rowFuncs{goRowFuncs} }
