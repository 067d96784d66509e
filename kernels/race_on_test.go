//go:build race

package kernels

// raceEnabled: under the race detector sync.Pool drops a quarter of what is put back, so
// the pooled call structs are reallocated and allocation counts mean nothing.
const raceEnabled = true
