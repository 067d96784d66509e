package metrics

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// MinGroupSize is the smallest subgroup reported. Smaller groups are shown only as
// suppressed, without their size, because metrics of a handful of records can
// identify the patients in them.
const MinGroupSize = 10

// MaxSubgroupValues bounds the distinct values of one attribute. Subgroup attributes
// are categories (sex, site, age band); more values than this suggests an identifier
// or free text, whose values would be printed in the report, so it is refused.
const MaxSubgroupValues = 100

// SubgroupAttribute is the report broken down by one attribute's values, in sorted order.
type SubgroupAttribute struct {
	Attribute string     `json:"attribute"`
	Groups    []Subgroup `json:"groups"`
}

// Subgroup is the records sharing one attribute value. A suppressed group carries no
// metrics and encodes its size as "<10".
type Subgroup struct {
	Value      string    `json:"value"`
	Suppressed bool      `json:"suppressed"`
	N          GroupSize `json:"n"`
	Metrics    *Metrics  `json:"metrics,omitempty"`
}

// GroupSize is a subgroup's record count. Zero is the size of a suppressed group —
// a group that exists has at least one record, so zero never hides a real size —
// and encodes as the string "<10".
type GroupSize int

// MarshalJSON writes a shown size as a number and a suppressed one as "<10".
func (g GroupSize) MarshalJSON() ([]byte, error) {
	if g == 0 {
		return []byte(`"` + g.String() + `"`), nil
	}
	return []byte(g.String()), nil
}

// UnmarshalJSON reads either form back.
func (g *GroupSize) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*g = GroupSize(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil || s != GroupSize(0).String() {
		return fmt.Errorf("metrics: decode group size %s: want a count or %q", b, GroupSize(0).String())
	}
	*g = 0
	return nil
}

// String is the size as the table shows it.
func (g GroupSize) String() string {
	if g == 0 {
		return fmt.Sprintf("<%d", MinGroupSize)
	}
	return fmt.Sprint(int(g))
}

// subgroupAttributes evaluates every value of every attribute, attributes in name order.
func subgroupAttributes(p []float32, y []int32, l layout, attrs map[string][]string) ([]SubgroupAttribute, error) {
	names := make([]string, 0, len(attrs))
	for name, values := range attrs {
		if name == "" {
			return nil, fmt.Errorf("subgroup attribute with an empty name: %w", ErrOptions)
		}
		if len(values) != len(y) {
			return nil, fmt.Errorf("subgroup attribute %q has %d values for %d records: %w", name, len(values), len(y), ErrShape)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]SubgroupAttribute, 0, len(names))
	for _, name := range names {
		distinct := make(map[string]struct{})
		for _, v := range attrs[name] {
			distinct[v] = struct{}{}
		}
		if len(distinct) > MaxSubgroupValues {
			return nil, fmt.Errorf("subgroup attribute %q has %d distinct values, at most %d (a category, not an identifier): %w",
				name, len(distinct), MaxSubgroupValues, ErrOptions)
		}
		out = append(out, SubgroupAttribute{Attribute: name, Groups: l.subgroups(p, y, attrs[name])})
	}
	return out, nil
}

// subgroups splits the records by value and evaluates each group large enough to show.
func (l layout) subgroups(p []float32, y []int32, values []string) []Subgroup {
	members := make(map[string][]int)
	for i, v := range values {
		members[v] = append(members[v], i)
	}
	keys := make([]string, 0, len(members))
	for v := range members {
		keys = append(keys, v)
	}
	slices.Sort(keys)
	groups := make([]Subgroup, 0, len(keys))
	for _, v := range keys {
		idx := members[v]
		if len(idx) < MinGroupSize {
			groups = append(groups, Subgroup{Value: v, Suppressed: true})
			continue
		}
		gp := make([]float32, 0, len(idx)*l.cols)
		gy := make([]int32, 0, len(idx))
		for _, i := range idx {
			gp = append(gp, p[i*l.cols:(i+1)*l.cols]...)
			gy = append(gy, y[i])
		}
		m := l.evaluate(gp, gy)
		groups = append(groups, Subgroup{Value: v, N: GroupSize(len(idx)), Metrics: &m})
	}
	return groups
}
