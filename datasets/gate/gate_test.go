package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// findingFor returns the finding for rule and column, if any.
func findingFor(r *Report, rule, column string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Rule == rule && f.Column == column {
			return f, true
		}
	}
	return Finding{}, false
}

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name    string
		table   Table
		want    [][2]string // rule, column
		wantNot [][2]string
	}{
		{
			name: "nhs numbers in a feature column and in free text",
			table: Table{
				Header: []string{"crp", "notes"},
				Rows: [][]string{
					{"12.5", "ok"},
					{"9434765919", "NHS no 943 476 5918 checked"},
					{"3.2", "fine"},
				},
			},
			want: [][2]string{{RuleNHSNumber, "crp"}, {RuleNHSKeyword, "notes"}},
		},
		{
			name: "nhs number column flags invalid values too",
			table: Table{
				Header: []string{"id"},
				Rows:   [][]string{{"9434765919"}, {"4010232137"}, {"6541003238"}, {"9434765918"}},
			},
			want: [][2]string{{RuleNHSNumber, "id"}, {RuleNHSColumn, "id"}},
		},
		{
			name: "nhs header makes every 10-digit token an nhs number",
			table: Table{
				Header:  []string{"nhs_no"},
				Rows:    [][]string{{"9434765918"}},
				Columns: []Column{{Role: RoleIdentifier}},
			},
			want:    [][2]string{{RuleNHSKeyword, "nhs_no"}},
			wantNot: [][2]string{{RuleIdentifierHeader, "nhs_no"}},
		},
		{
			name: "identifying headers not declared as identifiers",
			table: Table{
				Header: []string{"patient_name", "Surname", "emailAddress", "phone", "MRN", "hospital_no", "drug_name", "crp"},
				Rows:   [][]string{{"x", "y", "z", "w", "1", "2", "aspirin", "3"}},
			},
			want: [][2]string{
				{RuleIdentifierHeader, "patient_name"}, {RuleIdentifierHeader, "Surname"},
				{RuleIdentifierHeader, "emailAddress"}, {RuleIdentifierHeader, "phone"},
				{RuleIdentifierHeader, "MRN"}, {RuleIdentifierHeader, "hospital_no"},
			},
			wantNot: [][2]string{{RuleIdentifierHeader, "drug_name"}, {RuleIdentifierHeader, "crp"}},
		},
		{
			name: "dates in a birth column are dates of birth; declared transformed columns are skipped",
			table: Table{
				Header:  []string{"dob", "admitted", "admitted_month", "district"},
				Rows:    [][]string{{"1975-03-12", "2024-11-02", "2024-11", "LS6"}},
				Columns: []Column{{}, {Role: "event_date"}, {Role: "event_date", Transformed: true}, {Role: "postcode", Transformed: true}},
			},
			want:    [][2]string{{RuleDateOfBirth, "dob"}, {RuleFullDate, "admitted"}},
			wantNot: [][2]string{{RuleFullDate, "admitted_month"}, {RulePostcode, "district"}},
		},
		{
			name: "transformed column holding a full postcode is not scanned, raw one is",
			table: Table{
				Header:  []string{"pc_raw", "pc"},
				Rows:    [][]string{{"LS6 2AB", "LS6"}},
				Columns: []Column{{Role: "postcode"}, {Role: "postcode", Transformed: true}},
			},
			want:    [][2]string{{RulePostcode, "pc_raw"}},
			wantNot: [][2]string{{RulePostcode, "pc"}},
		},
		{
			name: "columns declared as transformed but holding raw values",
			table: Table{
				Header: []string{"key", "age_band", "month", "district", "ok_key", "ok_band", "ok_month", "ok_district"},
				Rows: [][]string{
					{"9434765919", "1975-03-12", "2024-11-02", "LS6 2AB", "0123456789abcdef0123456789abcdef", "40-44", "2024-11", "SW1A"},
					{"MRN12345", "41", "11/2024", "ls6", "", "90+", "", "GIR"},
				},
				Columns: []Column{
					{Role: RoleIdentifier, Transformed: true}, {Role: "date_of_birth", Transformed: true},
					{Role: "event_date", Transformed: true}, {Role: "postcode", Transformed: true},
					{Role: RoleIdentifier, Transformed: true}, {Role: "date_of_birth", Transformed: true},
					{Role: "event_date", Transformed: true}, {Role: "postcode", Transformed: true},
				},
			},
			want: [][2]string{
				{RuleTransformOutput, "key"}, {RuleTransformOutput, "age_band"},
				{RuleTransformOutput, "month"}, {RuleTransformOutput, "district"},
			},
			wantNot: [][2]string{
				{RuleTransformOutput, "ok_key"}, {RuleTransformOutput, "ok_band"},
				{RuleTransformOutput, "ok_month"}, {RuleTransformOutput, "ok_district"},
				{RuleNHSNumber, "key"}, {RulePostcode, "district"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(t.Context(), &tt.table)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Passed {
				t.Errorf("report passed, want failed:\n%s", rep.Summary())
			}
			for _, w := range tt.want {
				if _, ok := findingFor(rep, w[0], w[1]); !ok {
					t.Errorf("no %s finding on column %s:\n%s", w[0], w[1], rep.Summary())
				}
			}
			for _, w := range tt.wantNot {
				if _, ok := findingFor(rep, w[0], w[1]); ok {
					t.Errorf("unexpected %s finding on column %s:\n%s", w[0], w[1], rep.Summary())
				}
			}
		})
	}
}

func TestCheckRowNumbersAndCounts(t *testing.T) {
	rows := make([][]string, 20)
	for i := range rows {
		rows[i] = []string{"ok"}
	}
	for _, r := range []int{2, 5, 6, 9, 11, 17, 20} { // 1-based
		rows[r-1][0] = "call 07700 900123"
	}
	rep, err := Check(t.Context(), &Table{Header: []string{"notes"}, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := findingFor(rep, RulePhone, "notes")
	if !ok {
		t.Fatalf("no phone finding:\n%s", rep.Summary())
	}
	if f.Count != 7 || !slices.Equal(f.Rows, []int{2, 5, 6, 9, 11}) {
		t.Errorf("count %d rows %v, want 7 and [2 5 6 9 11]", f.Count, f.Rows)
	}
}

func TestSmallGroups(t *testing.T) {
	var rows [][]string
	add := func(band, sex string, n int) {
		for range n {
			rows = append(rows, []string{band, sex, "1.0"})
		}
	}
	add("40-44", "F", 12)
	add("40-44", "M", 10)
	add("45-49", "F", 4)
	add("45-49", "M", 1)
	add("90+", "F", 2)
	cols := []Column{{Role: "date_of_birth", Transformed: true, QuasiIdentifier: true}, {Role: "subgroup", QuasiIdentifier: true}, {Role: "feature"}}
	tab := Table{Header: []string{"age_band", "sex", "crp"}, Rows: rows, Columns: cols}
	rep, err := Check(t.Context(), &tab)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := findingFor(rep, RuleSmallGroup, "age_band+sex")
	if !ok {
		t.Fatalf("no small-group finding:\n%s", rep.Summary())
	}
	if f.Count != 3 || !strings.Contains(f.Detail, "3 groups smaller than k=10") || !strings.Contains(f.Detail, "sizes 1, 2, 4") {
		t.Errorf("finding %+v", f)
	}
	for _, v := range []string{"45-49", "90+", "40-44"} {
		if strings.Contains(f.Detail, v) {
			t.Errorf("small-group detail names a group value %q: %s", v, f.Detail)
		}
	}
	tab.K = 1
	if _, err := Check(t.Context(), &tab); !errors.Is(err, ErrKTooSmall) {
		t.Errorf("k=1: err %v, want ErrKTooSmall", err)
	}
	tab.K = 5
	tab.Rows = rows[:22]
	rep, err = Check(t.Context(), &tab)
	if err != nil || !rep.Passed {
		t.Errorf("22 rows in groups of 12 and 10, k=5: passed=%v err=%v\n%s", rep != nil && rep.Passed, err, rep.Summary())
	}
}

func TestCheckMalformed(t *testing.T) {
	tests := []struct {
		name  string
		table Table
	}{
		{"short row", Table{Header: []string{"a", "b"}, Rows: [][]string{{"9434765919"}}}},
		{"declarations", Table{Header: []string{"a"}, Rows: [][]string{{"x"}}, Columns: []Column{{}, {}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(t.Context(), &tt.table)
			if !errors.Is(err, ErrMalformedTable) {
				t.Fatalf("err %v, want ErrMalformedTable", err)
			}
			if strings.Contains(err.Error(), "9434765919") {
				t.Errorf("error echoes a cell: %v", err)
			}
		})
	}
}

func TestCheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Check(ctx, &Table{Header: []string{"a"}, Rows: [][]string{{"x"}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestReportNeverHoldsValues runs the gate on data with known identifiers,
// including a headerless file whose first row is data, and asserts that none
// of them appears in the JSON report, the summary or an error.
func TestReportNeverHoldsValues(t *testing.T) {
	secrets := []string{
		"9434765919", "943 476 5918", "Sarah", "Patel", "LS6 2AB", "1975-03-12",
		"sarah.patel@example.com", "07700 900123", "4010232137", "Khan",
	}
	header := []string{"9434765919", "Sarah Patel", "notes", "age_band", "sex"}
	var rows [][]string
	for i := range 30 {
		rows = append(rows, []string{
			"4010232137", "Khan",
			fmt.Sprintf("NHS No 943 476 5918 seen %d, LS6 2AB, DOB 1975-03-12, sarah.patel@example.com, 07700 900123", i),
			"Sarah", "F",
		})
	}
	cols := []Column{{}, {}, {}, {QuasiIdentifier: true}, {QuasiIdentifier: true}}
	rep, err := Check(t.Context(), &Table{Header: header, Rows: rows, Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed {
		t.Fatal("report passed on identifying data")
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	_, malformedErr := Check(t.Context(), &Table{Header: header, Rows: [][]string{rows[0][:2]}})
	if malformedErr == nil {
		t.Fatal("malformed table accepted")
	}
	for _, out := range []string{string(js), rep.Summary(), malformedErr.Error()} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("output holds identifying value %q:\n%s", s, out)
			}
		}
	}
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		rules[f.Rule] = true
	}
	for _, r := range []string{RuleNHSNumber, RuleNHSKeyword, RuleName, RulePostcode, RuleDateOfBirth, RuleEmail, RulePhone, RuleNHSColumn} {
		if !rules[r] {
			t.Errorf("no %s finding:\n%s", r, rep.Summary())
		}
	}
}
