package kernels

import "fmt"

// checkOptim reports a gradient or state slice whose length differs from params'.
func checkOptim(op string, params, grads, s0, s1 []float32) error {
	for _, s := range []struct {
		name string
		n    int
	}{{"grads", len(grads)}, {"state", len(s0)}, {"state", len(s1)}} {
		if s.n != len(params) {
			return fmt.Errorf("%s: %s has %d values, params %d: %w", op, s.name, s.n, len(params), ErrShape)
		}
	}
	return nil
}

// adamVersionT and sgdVersionT are implementations of the two updates over equal-length
// slices; each must match its reference bit for bit.
type adamVersionT struct {
	name string
	fn   func(p, g, m, v []float32, k *adamConsts)
}

type sgdVersionT struct {
	name string
	fn   func(p, g, vel []float32, h SGDHyper)
}

// adamVersion and sgdVersion are the fastest versions this CPU runs.
var (
	adamVersion = adamVersions()[0]
	sgdVersion  = sgdVersions()[0]
)
