package gate

import (
	"fmt"
	"slices"
	"strings"
)

// maxListedSizes bounds the group sizes a small_group finding lists.
const maxListedSizes = 20

// smallGroups counts the records sharing each combination of the
// quasi-identifier columns qi and returns a finding when any group has fewer
// than k records. The finding gives group sizes only, never their values.
func smallGroups(rows [][]string, qi []int, names []string, k int) (Finding, bool) {
	if len(qi) == 0 {
		return Finding{}, false
	}
	counts := make(map[string]int)
	var key strings.Builder
	for _, row := range rows {
		key.Reset()
		for n, c := range qi {
			if n > 0 {
				key.WriteByte(0x1f)
			}
			key.WriteString(row[c])
		}
		counts[key.String()]++
	}
	var sizes []int
	records := 0
	for _, c := range counts {
		if c < k {
			sizes = append(sizes, c)
			records += c
		}
	}
	if len(sizes) == 0 {
		return Finding{}, false
	}
	slices.Sort(sizes)
	listed := sizes
	more := ""
	if len(listed) > maxListedSizes {
		listed = listed[:maxListedSizes]
		more = ", …"
	}
	cols := make([]string, len(qi))
	for n, c := range qi {
		cols[n] = names[c]
	}
	return Finding{
		Rule:   RuleSmallGroup,
		Column: strings.Join(cols, "+"),
		Count:  len(sizes),
		Detail: fmt.Sprintf("%d groups smaller than k=%d (of %d groups, %d records): sizes %s%s",
			len(sizes), k, len(counts), records, joinInts(listed), more),
	}, true
}
