package validator

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// testLineage builds a lineage from (step, parent step, world size) triples; parent -1
// is a run from scratch, and a parent step absent from the triples was not retained.
func testLineage(cps ...[3]int64) *Lineage {
	hash := func(step int64) string { return fmt.Sprintf("m%d", step) }
	l := &Lineage{byHash: map[string]structs.Checkpoint{}, parent: map[string]string{}}
	for _, c := range cps {
		cp := structs.Checkpoint{Step: c[0], ManifestHash: hash(c[0]), WorldSize: int(c[2])}
		l.ledger, l.byHash[cp.ManifestHash] = append(l.ledger, cp), cp
		if c[1] >= 0 {
			l.parent[hash(c[0])] = hash(c[1])
		}
	}
	slices.SortStableFunc(l.ledger, func(a, b structs.Checkpoint) int { return compareSteps(a.Step, b.Step) })
	return l
}

// links are Links as (from step, to step) pairs.
func (l *Lineage) links() [][2]int64 {
	var out [][2]int64
	for _, k := range l.Links() {
		out = append(out, [2]int64{k.From.Step, k.To.Step})
	}
	return out
}

// check is Check between the checkpoints at two steps.
func (l *Lineage) check(from, to int64) error {
	at := func(step int64) structs.Checkpoint {
		for _, c := range l.ledger {
			if c.Step == step {
				return c
			}
		}
		return structs.Checkpoint{Step: step, ManifestHash: fmt.Sprintf("m%d", step)}
	}
	return l.Check(at(from), at(to))
}

func TestLineageLinks(t *testing.T) {
	// Attempt 1 (3 ranks) wrote 10, 20, 30; 30 was refused at resume, so attempt 2
	// (2 ranks) resumed from 20 and wrote 25 and 35. 5 was deleted by retention.
	l := testLineage([3]int64{10, 5, 3}, [3]int64{20, 10, 3}, [3]int64{30, 20, 3}, [3]int64{25, 20, 2}, [3]int64{35, 25, 2})
	if got, want := l.links(), [][2]int64{{10, 20}, {20, 25}, {10 + 10, 30}, {25, 35}}; !slices.Equal(got, want) {
		t.Fatalf("links %v, want %v", got, want)
	}
	for _, tc := range []struct {
		from, to int64
		err      string
	}{
		{10, 30, ""},
		{20, 35, ""},
		{10, 20, ""},
		{30, 35, "does not descend from the one at step 30: its lineage passes through step 25"},
		{10, 35, "the world size changed from 3 to 2 at step 20"},
		{5, 20, "its lineage starts at step 10"},
	} {
		err := l.check(tc.from, tc.to)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("check(%d, %d) = %v, want %q", tc.from, tc.to, err, tc.err)
		}
	}
}

func TestLineageLegacyTakesConsecutiveSteps(t *testing.T) {
	l := testLineage([3]int64{30, -1, 1}, [3]int64{10, -1, 1}, [3]int64{20, -1, 1})
	l.legacy = true
	if got, want := l.links(), [][2]int64{{10, 20}, {20, 30}}; !slices.Equal(got, want) {
		t.Fatalf("links %v, want %v", got, want)
	}
	if err := l.check(10, 30); err != nil {
		t.Fatal(err)
	}
}
