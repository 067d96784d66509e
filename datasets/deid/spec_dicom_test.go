package deid

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const validDICOMSpec = `name: chest-dx
input:
  path: raw/
  format: dicom
label:
  classes: [normal, abnormal]
k: 5
key_file: /secure/hmac.key
dicom:
  dates: year
  keep_private: ["(0009,0010)", "0011,1001"]
  window: {center: 40, width: 400}
  shape: [1, 64, 64]
  acknowledge_burned_in: [US]
  label: {csv: labels.csv, patient_column: mrn, label_column: finding}
  quasi_identifiers: [PatientSex, PatientAge]
  subgroups: [PatientSex]
`

func TestParseDICOMSpec(t *testing.T) {
	s, err := ParseIngestSpec([]byte(validDICOMSpec))
	if err != nil {
		t.Fatal(err)
	}
	d := s.DICOM
	if s.Input.Format != FormatDICOM || d == nil {
		t.Fatalf("format %q, dicom %v", s.Input.Format, d)
	}
	if d.Dates != DICOMDatesYear || d.Shape != [3]int{1, 64, 64} || d.Window == nil || d.Window.Center != 40 || d.Window.Width != 400 {
		t.Errorf("dicom %+v window %+v", d, d.Window)
	}
	if !slices.Equal(d.KeepPrivate, []string{"(0009,0010)", "(0011,1001)"}) || !slices.Equal(d.QuasiIdentifiers, []string{"PatientSex", "PatientAge"}) {
		t.Errorf("lists %v %v", d.KeepPrivate, d.QuasiIdentifiers)
	}
	if d.Label != (DICOMLabel{CSV: "labels.csv", PatientColumn: "mrn", LabelColumn: "finding"}) {
		t.Errorf("label %+v", d.Label)
	}
	if !s.NeedsKey() {
		t.Error("dicom input must need the key")
	}
	if d.BurnedInRefused("US") || !d.BurnedInRefused("XA") || d.BurnedInRefused("CT") {
		t.Error("US is acknowledged, XA is a default burned-in modality, CT is neither")
	}
}

func TestParseDICOMSpecDefaults(t *testing.T) {
	s, err := ParseIngestSpec([]byte(`name: x
input: {path: raw, format: dicom}
label: {classes: [a, b]}
dicom:
  shape: [1, 28, 28]
  label: {attribute: BodyPartExamined}
`))
	if err != nil {
		t.Fatal(err)
	}
	d := s.DICOM
	if d.Dates != DICOMDatesShift || d.Window != nil || len(d.AcknowledgeBurnedIn) != 0 || !slices.Equal(d.BurnedInModalities, DefaultBurnedInModalities) {
		t.Errorf("defaults %+v", d)
	}
	for _, m := range DefaultBurnedInModalities {
		if !d.BurnedInRefused(m) {
			t.Errorf("%s not refused by default", m)
		}
	}
}

func TestParseDICOMSpecErrors(t *testing.T) {
	base := validDICOMSpec
	tests := []struct {
		name, old, new, want string
		line                 int
	}{
		{"unknown field", "  dates: year", "  dates: year\n  colour: red", "dicom.colour: ", 11},
		{"bad dates", "dates: year", "dates: month", "dicom.dates", 10},
		{"public keep_private", `"(0009,0010)"`, `"(0010,0010)"`, "dicom.keep_private[0]", 11},
		{"shape channels", "[1, 64, 64]", "[3, 64, 64]", "dicom.shape", 13},
		{"shape rank", "[1, 64, 64]", "[64, 64]", "dicom.shape", 13},
		{"shape huge", "[1, 64, 64]", "[1, 64, 100000]", "dicom.shape", 13},
		{"window width", "width: 400", "width: 0", "dicom.window.width", 12},
		{"window missing", "{center: 40, width: 400}", "{center: 40}", "dicom.window.width", 12},
		{"ack not listed", "acknowledge_burned_in: [US]", "acknowledge_burned_in: [CT]", "dicom.acknowledge_burned_in", 14},
		{"bad modality", "acknowledge_burned_in: [US]", "acknowledge_burned_in: [us]", "dicom.acknowledge_burned_in[0]", 14},
		{"label both", "{csv: labels.csv,", "{attribute: X, csv: labels.csv,", "dicom.label", 15},
		{"label csv incomplete", ", label_column: finding}", "}", "dicom.label", 15},
		{"label same columns", "label_column: finding", "label_column: mrn", "dicom.label.label_column", 15},
		{"bad keyword", "[PatientSex, PatientAge]", "[PatientSex, \"Patient Age\"]", "dicom.quasi_identifiers[1]", 16},
		{"duplicate qi", "[PatientSex, PatientAge]", "[PatientSex, PatientSex]", "dicom.quasi_identifiers[1]", 16},
		{"subgroup not qi", "subgroups: [PatientSex]", "subgroups: [Manufacturer]", "dicom.subgroups", 17},
		{"no shape", "  shape: [1, 64, 64]\n", "", "dicom.shape", 10},
		{"no label", "  label: {csv: labels.csv, patient_column: mrn, label_column: finding}\n", "", "dicom.label", 10},
		{"dicom without section", "dicom:\n", "unused:\n", "unknown field", 9},
		{"label column", "  classes: [normal, abnormal]", "  classes: [normal, abnormal]\n  column: dx", "dicom.label (an attribute", 5},
		{"section for csv", "format: dicom", "format: csv", "dicom", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := strings.Replace(base, tt.old, tt.new, 1)
			if spec == base {
				t.Fatalf("%q not in the spec", tt.old)
			}
			_, err := ParseIngestSpec([]byte(spec))
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("err %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %q does not name %q", err, tt.want)
			}
			if tt.line > 0 && !strings.Contains(err.Error(), "line "+strconv.Itoa(tt.line)+":") {
				t.Errorf("err %q: want line %d", err, tt.line)
			}
		})
	}
	// dicom input without its section
	_, err := ParseIngestSpec([]byte("name: x\ninput: {path: p, format: dicom}\nlabel: {classes: [a, b]}\n"))
	if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "needs a dicom section") {
		t.Errorf("no dicom section: %v", err)
	}
}
