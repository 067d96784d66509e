package synth

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
)

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func testKey(t *testing.T) *deid.Pseudonymiser {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hmac.key")
	if err := os.WriteFile(path, []byte(strings.Repeat("synthetic-test-key-", 3)), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := deid.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestRawRecordsFailGate(t *testing.T) {
	header, rows := Generate(2000, 1)
	rep, err := gate.Check(t.Context(), &gate.Table{Header: header, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed {
		t.Fatal("raw records passed the gate")
	}
	found := map[string]bool{}
	for _, f := range rep.Findings {
		found[f.Rule+"/"+f.Column] = true
	}
	for _, want := range []string{
		"nhs_number/nhs_number", "nhs_number_column/nhs_number", "nhs_number/notes",
		"identifier_header/given_name", "identifier_header/family_name", "name/given_name", "name/notes",
		"date_of_birth/date_of_birth", "date_of_birth/notes", "postcode/postcode", "postcode/notes",
		"phone/notes", "full_date/admission_date",
	} {
		if !found[want] {
			t.Errorf("no %s finding", want)
		}
	}
	t.Log("\n" + rep.Summary())
}

func TestDeidentifiedRecordsPassGate(t *testing.T) {
	spec, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2, 3} {
		header, rows := Generate(2000, seed)
		res, err := deid.Apply(spec, header, rows, testKey(t))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := gate.Check(t.Context(), res.GateTable(spec.K))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Passed {
			t.Errorf("seed %d: de-identified records fail the gate:\n%s", seed, rep.Summary())
		}
	}
}

// TestSmallSampleFailsGroups shows the small-group rule at work on the same
// data: 300 records cannot fill 66 groups with 10 each.
func TestSmallSampleFailsGroups(t *testing.T) {
	spec, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := Generate(300, 1)
	res, err := deid.Apply(spec, header, rows, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := gate.Check(t.Context(), res.GateTable(spec.K))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed || len(rep.Findings) != 1 || rep.Findings[0].Rule != gate.RuleSmallGroup {
		t.Fatalf("want exactly one small_group finding:\n%s", rep.Summary())
	}
	if rep.Findings[0].Column != "age_band+sex+district" {
		t.Errorf("small group columns %q", rep.Findings[0].Column)
	}
}

// TestGroupSizes measures the smallest age band × sex × district group over
// many seeds at n = 2000, the size the spec's comment promises.
func TestGroupSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 20 generations of 2000 records")
	}
	spec, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	ps := testKey(t)
	smallest := 1 << 30
	for seed := uint64(100); seed < 120; seed++ {
		header, rows := Generate(2000, seed)
		res, err := deid.Apply(spec, header, rows, ps)
		if err != nil {
			t.Fatal(err)
		}
		groups := map[[3]string]int{}
		idx := [3]int{slices.Index(res.Header, "age_band"), slices.Index(res.Header, "sex"), slices.Index(res.Header, "district")}
		for _, r := range res.Rows {
			groups[[3]string{r[idx[0]], r[idx[1]], r[idx[2]]}]++
		}
		if len(groups) != 66 {
			t.Errorf("seed %d: %d groups, want 66", seed, len(groups))
		}
		for _, n := range groups {
			smallest = min(smallest, n)
		}
	}
	t.Logf("smallest group over 20 seeds at n=2000: %d", smallest)
	if smallest < spec.K+3 {
		t.Errorf("smallest group %d leaves no margin over k=%d", smallest, spec.K)
	}
}
