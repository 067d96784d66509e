package scheduler

import (
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// limitOf is an experiment's time limit in ns (0 for none), parsed once per text.
func (s *pass) limitOf(e *structs.Experiment) int64 {
	t := e.Spec.TimeLimit
	if t == "" {
		return 0
	}
	if v, ok := simpleDuration(t); ok {
		return v
	}
	if v, ok := s.limits[t]; ok {
		return v
	}
	v := int64(e.Spec.TimeLimitDuration())
	s.limits[t] = v
	return v
}

// simpleDuration reads the common time limits, a whole number of hours, minutes or
// seconds ("90m", "6h"), without time.ParseDuration or a map: a pass reads the
// limits of every running attempt and of many pending experiments.
func simpleDuration(t string) (int64, bool) {
	if len(t) < 2 || len(t) > 6 {
		return 0, false
	}
	var unit int64
	switch t[len(t)-1] {
	case 'h':
		unit = int64(time.Hour)
	case 'm':
		unit = int64(time.Minute)
	case 's':
		unit = int64(time.Second)
	default:
		return 0, false
	}
	var n int64
	for i := 0; i < len(t)-1; i++ {
		c := t[i]
		if c < '0' || c > '9' {
			return 0, false // "1.5h", "ms", "1h30m": the general parser
		}
		n = n*10 + int64(c-'0')
	}
	return n * unit, true
}
