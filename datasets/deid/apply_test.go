package deid

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/gate"
)

var applyHeader = []string{"nhs_number", "full_name", "dob", "admitted", "postcode", "sex", "ethnicity", "site", "notes", "summary", "crp", "internal_ref", "outcome"}

func applyRows() [][]string {
	return [][]string{
		{"943 476 5919", "Sarah Patel", "1975-03-12", "2024-11-02", "LS6 2AB", "F", "White - British", "A", "Sarah seen, NHS 943 476 5919", "stable", "12.5", "x1", "1"},
		{"4010232137", "John Smith", "02/01/1936", "05/11/2024", "ls1 4ab", "M", "Indian", "B", "called 07700 900123", "improving", "3.1", "x2", "0"},
	}
}

func mustSpec(t *testing.T) *IngestSpec {
	t.Helper()
	s, err := ParseIngestSpec([]byte(validSpecYAML))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustKey(t *testing.T) *Pseudonymiser {
	t.Helper()
	p, err := NewPseudonymiser([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApply(t *testing.T) {
	ps := mustKey(t)
	res, err := Apply(mustSpec(t), applyHeader, applyRows(), ps)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"patient_key", "age_band", "admitted_month", "district", "sex", "ethnicity", "site", "summary", "crp", "outcome"}
	if !slices.Equal(res.Header, wantHeader) {
		t.Fatalf("header %v, want %v", res.Header, wantHeader)
	}
	want := [][]string{
		{ps.Pseudonymise("9434765919"), "50-54", "2024-11", "LS6", "F", "White - British", "A", "stable", "12.5", "1"},
		{ps.Pseudonymise("4010232137"), "85-89", "2024-11", "LS1", "M", "Indian", "B", "improving", "3.1", "0"},
	}
	for r := range want {
		if !slices.Equal(res.Rows[r], want[r]) {
			t.Errorf("row %d = %v, want %v", r+1, res.Rows[r], want[r])
		}
	}
	methods := map[string]string{}
	for _, tr := range res.Transforms {
		methods[tr.Column] = tr.Method
	}
	for col, m := range map[string]string{
		"nhs_number": MethodHMAC, "full_name": MethodDrop, "dob": MethodAgeBand, "admitted": MethodYearMonth,
		"postcode": MethodPostcodeDistrict, "notes": MethodDrop, "summary": MethodKeep, "internal_ref": MethodDrop, "crp": MethodKeep,
	} {
		if methods[col] != m {
			t.Errorf("column %s method %q, want %q", col, methods[col], m)
		}
	}
	tab := res.GateTable(5)
	for i, c := range tab.Columns {
		transformed := slices.Contains([]string{"patient_key", "age_band", "admitted_month", "district"}, res.Header[i])
		if c.Transformed != transformed {
			t.Errorf("gate column %s transformed=%v", res.Header[i], c.Transformed)
		}
	}
	if got := res.Names(RoleFeature); !slices.Equal(got, []string{"crp"}) {
		t.Errorf("features %v", got)
	}
	rep, err := gate.Check(t.Context(), tab)
	if err != nil {
		t.Fatal(err)
	}
	// Two rows cannot meet k=5; nothing else may fire.
	for _, f := range rep.Findings {
		if f.Rule != gate.RuleSmallGroup {
			t.Errorf("unexpected finding %+v", f)
		}
	}
}

func TestApplyErrors(t *testing.T) {
	spec := mustSpec(t)
	ps := mustKey(t)
	secrets := []string{"1875-03-12", "LS62AB", "9434765919", "Sarah"}
	tests := []struct {
		name   string
		header []string
		rows   func() [][]string
		ps     *Pseudonymiser
		is     error
		has    []string
	}{
		{"no key", applyHeader, applyRows, nil, ErrNoKey, []string{"key"}},
		{"undeclared column", append(slices.Clone(applyHeader), "extra"), func() [][]string {
			r := applyRows()
			for i := range r {
				r[i] = append(r[i], "v")
			}
			return r
		}, ps, ErrColumns, []string{`14 "extra"`, "not declared"}},
		{"headerless file", append(slices.Clone(applyHeader[:12]), "9434765919"), applyRows, ps, ErrColumns, []string{"13", "withheld"}},
		{"missing column", applyHeader[:12], func() [][]string {
			r := applyRows()
			for i := range r {
				r[i] = r[i][:12]
			}
			return r
		}, ps, ErrColumns, []string{`"outcome"`, "line 25"}},
		{"short row", applyHeader, func() [][]string { r := applyRows(); r[1] = r[1][:3]; return r }, ps, ErrColumns, []string{"data row 2"}},
		{"bad dob", applyHeader, func() [][]string { r := applyRows(); r[1][2] = "1875-03-12"; return r }, ps, ErrImplausibleBirth, []string{"data row 2", "column dob"}},
		{"ambiguous postcode", applyHeader, func() [][]string { r := applyRows(); r[0][4] = "LS62AB"; return r }, ps, ErrPostcodeAmbiguous, []string{"data row 1", "column postcode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply(spec, tt.header, tt.rows(), tt.ps)
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
			for _, h := range tt.has {
				if !strings.Contains(err.Error(), h) {
					t.Errorf("error %q does not say %q", err, h)
				}
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error holds the value %q: %v", s, err)
				}
			}
		})
	}
}

// TestRolesMatchGate guards the role strings the gate relies on: the header
// rule exempts identifiers and the transform-output check knows these roles.
func TestRolesMatchGate(t *testing.T) {
	pairs := [][2]string{
		{string(RoleIdentifier), gate.RoleIdentifier},
		{string(RoleDateOfBirth), gate.RoleDateOfBirth},
		{string(RoleEventDate), gate.RoleEventDate},
		{string(RolePostcode), gate.RolePostcode},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("deid role %q, gate role %q", p[0], p[1])
		}
	}
	if DefaultK != gate.DefaultK || MinK != gate.MinK {
		t.Errorf("k defaults differ: deid %d/%d, gate %d/%d", DefaultK, MinK, gate.DefaultK, gate.MinK)
	}
}
