//go:build race

package models

// raceEnabled: under the race detector sync.Pool drops a quarter of what is put back (the
// kernels' pooled call structs among them), so allocation counts mean nothing.
const raceEnabled = true
