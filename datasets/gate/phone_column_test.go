package gate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// labIDs are n 10-digit laboratory sample numbers that fail Modulus 11 (so no NHS
// rule applies), every fiftieth beginning with a five-digit-local area code, where
// it also fits the telephone numbering plan.
func labIDs(n int) []string {
	rng := rand.New(rand.NewPCG(7, 11))
	ids := make([]string, 0, n)
	for len(ids) < n {
		id := fmt.Sprintf("%010d", rng.Uint64N(1e10))
		if len(ids)%50 == 0 {
			id = "01204" + id[5:]
		}
		if !ValidNHSNumber(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func oneColumn(header string, cells []string) *Table {
	rows := make([][]string, len(cells))
	for i, c := range cells {
		rows[i] = []string{c}
	}
	return &Table{Header: []string{header}, Rows: rows}
}

// TestLabSampleIDsAreNotPhoneNumbers is issue 21's false refusal: a feature column of
// 10-digit sample numbers, some of which begin 01, passes; real telephone numbers —
// a column of them as bare digits, one written with spaces among the ids, any in
// free text — are still refused.
func TestLabSampleIDsAreNotPhoneNumbers(t *testing.T) {
	ids := labIDs(5000)
	check := func(tab *Table) *Report {
		t.Helper()
		rep, err := Check(t.Context(), tab)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := check(oneColumn("sample_id", ids)); !rep.Passed {
		t.Fatalf("a column of lab sample ids was refused:\n%s", rep.Summary())
	}
	mobiles := make([]string, 1000)
	for i := range mobiles {
		mobiles[i] = fmt.Sprintf("07700%06d", 900000+i)
	}
	if rep := check(oneColumn("contact", mobiles)); rep.Passed || rep.Findings[0].Rule != RulePhone {
		t.Fatalf("a column of mobile numbers as bare digits passed:\n%s", rep.Summary())
	}
	mixed := append([]string{"07700 900123"}, ids[1:]...)
	if rep := check(oneColumn("sample_id", mixed)); rep.Passed || rep.Findings[0].Count != 1 || rep.Findings[0].Rows[0] != 1 {
		t.Fatalf("a phone number written with spaces among the ids:\n%s", rep.Summary())
	}
	notes := make([]string, 200)
	for i := range notes {
		notes[i] = "Follow-up booked."
	}
	for i, tel := range []string{"07700 900123", "+44 7700 900123", "0044 20 7946 0000", "(0113) 496 0000", "01204 12345", "07700900123"} {
		notes[3*i] = "NOK tel " + tel + " (daughter)"
	}
	if rep := check(oneColumn("notes", notes)); rep.Passed || rep.Findings[0].Count != 6 {
		t.Fatalf("phone numbers in free text: %s", rep.Summary())
	}
	if strings.Contains(check(oneColumn("contact", mobiles)).Summary(), "0770090") {
		t.Fatal("the report holds a value")
	}
}
