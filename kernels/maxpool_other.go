//go:build !amd64 || purego

package kernels

// poolRowVersions lists the max-pool row kernels: only the Go one off amd64.
func poolRowVersions() []poolRowVersion { return []poolRowVersion{{"go", poolRowGo}} }
