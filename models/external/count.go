package external

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Count is a number of records as reported: shown when 0 or at least the floor, else
// suppressed — only the floor is kept, never the value, and it encodes as "<K".
type Count struct {
	N     int // the count; 0 when suppressed
	Below int // the floor it fell under; 0 when shown
}

// count is n as reported under floor.
func count(n, floor int) Count {
	if n > 0 && n < floor {
		return Count{Below: floor}
	}
	return Count{N: n}
}

// Suppressed reports whether the count was below the floor.
func (c Count) Suppressed() bool { return c.Below > 0 }

func (c Count) String() string {
	if c.Suppressed() {
		return fmt.Sprintf("<%d", c.Below)
	}
	return strconv.Itoa(c.N)
}

// MarshalJSON writes a shown count as a number and a suppressed one as "<K".
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Suppressed() {
		return json.Marshal(c.String())
	}
	return []byte(strconv.Itoa(c.N)), nil
}

// UnmarshalJSON reads either form back.
func (c *Count) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil && n >= 0 {
		*c = Count{N: n}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if k, err := strconv.Atoi(strings.TrimPrefix(s, "<")); err == nil && strings.HasPrefix(s, "<") && k > 0 {
			*c = Count{Below: k}
			return nil
		}
	}
	return fmt.Errorf("external: a count must be a non-negative number or \"<K\"")
}
