package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Stat is one reported number. NaN means "not defined here" — PPV with no predicted
// positives, the mean of an empty calibration bin — and encodes as JSON null, because
// JSON has no NaN and a made-up 0 would read as a real, terrible result.
type Stat float64

// NaN is the undefined Stat.
func NaN() Stat { return Stat(math.NaN()) }

// Defined reports whether s holds a number.
func (s Stat) Defined() bool { return !math.IsNaN(float64(s)) }

// MarshalJSON encodes NaN as null and everything else as a plain number.
func (s Stat) MarshalJSON() ([]byte, error) {
	f := float64(s)
	if math.IsNaN(f) {
		return []byte("null"), nil
	}
	if math.IsInf(f, 0) {
		return nil, fmt.Errorf("metrics: encode stat: infinite value")
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads null back as NaN, so a stored report round-trips.
func (s *Stat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = NaN()
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("metrics: decode stat: %w", err)
	}
	*s = Stat(f)
	return nil
}

// ratio is num/den, undefined when den is 0.
func ratio(num, den int) Stat {
	if den == 0 {
		return NaN()
	}
	return Stat(float64(num) / float64(den))
}

// meanDefined averages the defined values and reports how many there were; the mean of
// none is undefined.
func meanDefined(vs []Stat) (Stat, int) {
	var sum float64
	var k int
	for _, v := range vs {
		if v.Defined() {
			sum += float64(v)
			k++
		}
	}
	if k == 0 {
		return NaN(), 0
	}
	return Stat(sum / float64(k)), k
}
