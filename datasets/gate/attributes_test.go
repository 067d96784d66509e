package gate

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// dicomFile is one file's attributes as a reader leaves them, raw or de-identified.
func dicomFile(raw bool, i int) []Attribute {
	if raw {
		return []Attribute{
			{"(0010,0010)", "PatientName", "PN", "HARGREAVES^OLIVE^^MRS"},
			{"(0010,0020)", "PatientID", "LO", "943 476 5919"},
			{"(0010,0030)", "PatientBirthDate", "DA", "19520817"},
			{"(0008,0020)", "StudyDate", "DA", "20240305"},
			{"(0010,1040)", "PatientAddress", "LO", "12 Mill Lane, Leeds LS6 2QB"},
			{"(0008,0018)", "SOPInstanceUID", "UI", "1.2.826.0.1.3680043.8.498.1"},
			{"(0008,0060)", "Modality", "CS", "CR"},
			{"(0008,1030)", "StudyDescription", "LO", "CHEST PA"},
		}
	}
	return []Attribute{
		{"(0010,0010)", "PatientName", "PN", "3f2a9c0d1b7e4a5f8c6d2e1f0a9b8c7d"},
		{"(0010,0020)", "PatientID", "LO", "3f2a9c0d1b7e4a5f8c6d2e1f0a9b8c7d"},
		{"(0010,0030)", "PatientBirthDate", "DA", ""},
		{"(0008,0020)", "StudyDate", "DA", "20231119"},
		{"(0008,0018)", "SOPInstanceUID", "UI", "2.25.31415926535897932384626433832795028841971"},
		{"(0008,0060)", "Modality", "CS", "CR"},
		{"(0008,1030)", "StudyDescription", "LO", "CHEST PA"},
		{"(0018,5101)", "ViewPosition", "CS", []string{"PA", "AP"}[i%2]},
	}
}

func checkAttributes(t *testing.T, at *AttributeTable) *Report {
	t.Helper()
	rep, err := Check(context.Background(), at.Table())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findingsByColumn(rep *Report) map[string]int {
	m := map[string]int{}
	for _, f := range rep.Findings {
		m[f.Rule+" "+f.Column] = f.Count
	}
	return m
}

func TestAttributeTableRawIsRefusedNamingTags(t *testing.T) {
	at := &AttributeTable{K: 5}
	for i := range 12 {
		at.Add(dicomFile(true, i))
	}
	rep := checkAttributes(t, at)
	got := findingsByColumn(rep)
	for _, want := range []string{
		"name (0010,0010) PatientName",
		"identifier_header (0010,0010) PatientName",
		"date_of_birth (0010,0030) PatientBirthDate",
		"full_date (0008,0020) StudyDate",
		"postcode (0010,1040) PatientAddress",
		"nhs_number (0010,0020) PatientID",
	} {
		if got[want] == 0 {
			t.Errorf("no finding %q in %v", want, got)
		}
	}
	if got["name (0010,0010) PatientName"] != 12 {
		t.Errorf("names counted in %d files, want 12", got["name (0010,0010) PatientName"])
	}
	assertNoValues(t, rep, dicomFile(true, 0))
}

func TestAttributeTableDeidentifiedPasses(t *testing.T) {
	at := &AttributeTable{K: 5, Deidentified: true, Dates: "shift"}
	for i := range 12 {
		at.Add(dicomFile(false, i))
	}
	rep := checkAttributes(t, at)
	if !rep.Passed {
		t.Fatalf("de-identified attributes refused:\n%s", rep.Summary())
	}
	if rep.Rows != 12 {
		t.Errorf("rows %d, want 12 files", rep.Rows)
	}
}

func TestAttributeTableDeidentifiedLeftovers(t *testing.T) {
	tests := []struct {
		name string
		attr Attribute
		want string
	}{
		{"unknown name left in a PN", Attribute{"(0008,0090)", "ReferringPhysicianName", "PN", "ZQXWYV^Q"}, "name (0008,0090) ReferringPhysicianName"},
		{"birth date kept", Attribute{"(0010,0030)", "PatientBirthDate", "DA", "19520817"}, "date_of_birth (0010,0030) PatientBirthDate"},
		{"uid not remapped to a uid form", Attribute{"(0020,000D)", "StudyInstanceUID", "UI", "9434765919"}, "transform_output (0020,000D) StudyInstanceUID"},
		{"shifted date holding text", Attribute{"(0008,0021)", "SeriesDate", "DA", "Olive"}, "transform_output (0008,0021) SeriesDate"},
		{"name in a description", Attribute{"(0008,103E)", "SeriesDescription", "LO", "chest for Mrs Hargreaves"}, "name (0008,103E) SeriesDescription"},
		{"phone in a private tag", Attribute{"(0009,1001)", "", "LO", "call 0113 496 0000"}, "phone (0009,1001)"},
		{"sequence path", Attribute{"(0008,1140)>(0010,0010)", "ReferencedImageSequence>PatientName", "PN", "SMITH^JOHN"}, "name (0008,1140)>(0010,0010) ReferencedImageSequence>PatientName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := &AttributeTable{K: 5, Deidentified: true, Dates: "shift"}
			for i := range 7 {
				attrs := dicomFile(false, i)
				if i%2 == 1 {
					attrs = append(attrs, tt.attr)
				}
				at.Add(attrs)
			}
			rep := checkAttributes(t, at)
			got := findingsByColumn(rep)
			if rep.Passed || got[tt.want] != 3 {
				t.Fatalf("want %q in 3 files, got %v", tt.want, got)
			}
			assertNoValues(t, rep, []Attribute{tt.attr})
		})
	}
}

func TestAttributeTableYearDates(t *testing.T) {
	at := &AttributeTable{K: 5, Deidentified: true, Dates: "year"}
	at.Add([]Attribute{{"(0008,0020)", "StudyDate", "DA", "20230101"}})
	if rep := checkAttributes(t, at); !rep.Passed {
		t.Fatalf("year date refused:\n%s", rep.Summary())
	}
	at = &AttributeTable{K: 5, Deidentified: true, Dates: "year"}
	at.Add([]Attribute{{"(0008,0020)", "StudyDate", "DA", "20230415"}})
	if got := findingsByColumn(checkAttributes(t, at)); got["transform_output (0008,0020) StudyDate"] != 1 {
		t.Errorf("a full date under dates: year passed: %v", got)
	}
}

func TestBurnedIn(t *testing.T) {
	b := &BurnedIn{Refused: func(m string) bool { return m == "US" || m == "XA" }}
	for _, f := range [][2]string{{"NO", "CR"}, {"YES", "CR"}, {"", "US"}, {"yes", "US"}, {"NO", "XA"}, {"", "MR"}} {
		b.Add(f[0], f[1])
	}
	got := map[string]Finding{}
	for _, f := range b.Findings() {
		got[f.Rule+" "+f.Column+" "+strings.Fields(f.Detail)[1]] = f
	}
	if f := got["burned_in_annotation (0028,0301) BurnedInAnnotation file"]; f.Count != 2 || len(f.Rows) != 2 || f.Rows[0] != 2 || f.Rows[1] != 4 {
		t.Errorf("annotation: %+v (all %v)", f, got)
	}
	if f := got["burned_in_modality (0008,0060) Modality US"]; f.Count != 2 {
		t.Errorf("US: %+v (all %v)", f, got)
	}
	if f := got["burned_in_modality (0008,0060) Modality XA"]; f.Count != 1 {
		t.Errorf("XA: %+v (all %v)", f, got)
	}
	b = &BurnedIn{Refused: func(string) bool { return true }}
	b.Add("", "HARGREAVES^O")
	if d := b.Findings()[0].Detail; strings.Contains(d, "HARGREAVES") {
		t.Errorf("detail carries the file's modality value: %s", d)
	}
}

// assertNoValues fails when any value of attrs appears in the report's JSON or summary.
func assertNoValues(t *testing.T, rep *Report, attrs []Attribute) {
	t.Helper()
	js, _ := json.Marshal(rep)
	out := string(js) + rep.Summary()
	for _, a := range attrs {
		for _, part := range strings.FieldsFunc(a.Value, func(r rune) bool { return r == '^' || r == ' ' || r == ',' }) {
			if len(part) >= 4 && strings.Contains(out, part) {
				t.Errorf("report carries %q of %s", part, a.Tag)
			}
		}
	}
}
