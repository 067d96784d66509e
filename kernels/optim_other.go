//go:build !amd64 || purego

package kernels

// adamVersions and sgdVersions list the optimizer versions: only the Go ones off amd64.
func adamVersions() []adamVersionT { return []adamVersionT{{"go", adamGo}} }

func sgdVersions() []sgdVersionT { return []sgdVersionT{{"go", sgdGo}} }
