//go:build !amd64 || purego

package kernels

// poolVersions lists the max-pool versions: only the Go one off amd64.
func poolVersions() []poolVersion { return []poolVersion{goPool} }
