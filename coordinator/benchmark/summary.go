package benchmark

import (
	"fmt"
	"slices"
	"time"
)

// Summary describes a sample of durations.
type Summary struct {
	N                     int
	Min, Median, P99, Max time.Duration
}

// Summarize sorts a copy of d and reads its quantiles (nearest rank).
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.5) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return Summary{N: len(s), Min: s[0], Median: q(0.5), P99: q(0.99), Max: s[len(s)-1]}
}

func (s Summary) String() string {
	r := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("n=%d min=%s median=%s p99=%s max=%s", s.N, r(s.Min), r(s.Median), r(s.P99), r(s.Max))
}
