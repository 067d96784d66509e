package deid

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseIngestSpecValid(t *testing.T) {
	s, err := ParseIngestSpec([]byte(validSpecYAML))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "ward-obs" || s.K != 12 || s.Input.Format != FormatCSV || s.Label.Column != "outcome" {
		t.Errorf("spec %+v", s)
	}
	if !s.ReferenceDate.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("reference date %v", s.ReferenceDate)
	}
	if len(s.Columns) != 13 || s.Columns[0].Name != "nhs_number" || s.Columns[12].Name != "outcome" {
		t.Fatalf("columns not in spec order: %+v", s.Columns)
	}
	tests := []struct {
		name    string
		role    Role
		kept    bool
		qi      bool
		outName string
	}{
		{"nhs_number", RoleIdentifier, true, false, "patient_key"},
		{"full_name", RoleIdentifier, false, false, "full_name"},
		{"dob", RoleDateOfBirth, true, true, "age_band"},
		{"postcode", RolePostcode, true, true, "district"},
		{"sex", RoleSubgroup, true, true, "sex"},
		{"ethnicity", RoleSubgroup, true, false, "ethnicity"},
		{"site", RoleQuasiIdentifier, true, true, "site"},
		{"notes", RoleFreeText, false, false, "notes"},
		{"summary", RoleFreeText, true, false, "summary"},
		{"internal_ref", RoleDrop, false, false, "internal_ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := s.Column(tt.name)
			if !ok {
				t.Fatal("missing")
			}
			if c.Role != tt.role || c.Kept() != tt.kept || c.QuasiIdentifier != tt.qi || c.OutputName() != tt.outName {
				t.Errorf("got %+v kept=%v", c, c.Kept())
			}
		})
	}
	if !s.NeedsKey() {
		t.Error("NeedsKey false with a pseudonymised column")
	}
	if got := s.ResolveKeyFile(""); got != "/secure/hmac.key" {
		t.Errorf("key file without flag %q", got)
	}
	if got := s.ResolveKeyFile("/other.key"); got != "/other.key" {
		t.Errorf("key file with flag %q", got)
	}
	if s.Columns[0].Line != 13 {
		t.Errorf("nhs_number line %d, want 13", s.Columns[0].Line)
	}
}

func TestParseIngestSpecDefaults(t *testing.T) {
	s, err := ParseIngestSpec([]byte("name: mnist\ninput: {path: train.idx.gz, format: idx}\nlabel: {classes: [a, b]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.K != DefaultK {
		t.Errorf("k = %d, want default %d", s.K, DefaultK)
	}
}

func TestParseIngestSpecErrors(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validSpecYAML, old) {
			t.Fatalf("test setup: %q not in spec", old)
		}
		return strings.Replace(validSpecYAML, old, new, 1)
	}
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"unknown top field", replace("k: 12", "kk: 12"), []string{"line 9", "kk", "unknown field"}},
		{"unknown column field", replace("{role: identifier, action: drop}", "{role: identifier, action: drop, colour: red}"), []string{"line 14", "columns.full_name.colour", "unknown field"}},
		{"unknown role", replace("crp: feature", "crp: featur"), []string{"line 23", "columns.crp", `unknown role "featur"`}},
		{"k below minimum", replace("k: 12", "k: 4"), []string{"line 9", "k", "below the minimum 5"}},
		{"k not integer", replace("k: 12", "k: ten"), []string{"line 9", "k", "integer"}},
		{"bad format", replace("format: csv", "format: parquet"), []string{"line 5", "input.format", "parquet"}},
		{"one class", replace(`classes: ["0", "1"]`, `classes: ["0"]`), []string{"line 8", "label.classes", "two classes"}},
		{"duplicate class", replace(`classes: ["0", "1"]`, `classes: ["0", "0"]`), []string{"label.classes[1]", "duplicate"}},
		{"identifier without action", replace("{role: identifier, action: drop}", "identifier"), []string{"line 14", "columns.full_name", "action"}},
		{"bad action", replace("action: drop}", "action: hash}"), []string{"columns.full_name.action"}},
		{"action on feature", replace("crp: feature", "crp: {role: feature, action: drop}"), []string{"columns.crp.action", "only identifier"}},
		{"allow on feature", replace("crp: feature", "crp: {role: feature, allow: true}"), []string{"columns.crp.allow"}},
		{"allow not bool", replace("allow: true", "allow: maybe"), []string{"columns.summary.allow", "true or false"}},
		{"dob not quasi", replace("{role: date_of_birth, output: age_band}", "{role: date_of_birth, quasi_identifier: false}"), []string{"columns.dob.quasi_identifier", "always"}},
		{"dob without reference date", replace("reference_date: 2026-01-01\n", ""), []string{"columns.dob", "reference_date"}},
		{"bad reference date", replace("2026-01-01", "01/01/2026"), []string{"line 10", "reference_date", "YYYY-MM-DD"}},
		{"duplicate column", replace("crp: feature", "crp: feature\n  crp: feature"), []string{"line 24", "columns.crp", "duplicate key"}},
		{"duplicate output", replace("output: district", "output: age_band"), []string{"columns.postcode", "age_band"}},
		{"label not declared", replace("outcome: label", "outcome: feature"), []string{"line 12", "columns", "role label"}},
		{"bad name", replace("name: ward-obs", "name: Ward Obs"), []string{"line 1", "name", "Ward Obs"}},
		{"missing input", replace("input:\n  path: obs.csv\n  format: csv\n", ""), []string{"input", "required"}},
		{"columns on images", "name: m\ninput: {path: x, format: npz}\nlabel: {classes: [a, b]}\ncolumns: {a: feature}\n", []string{"line 4", "columns", "npz"}},
		{"not a mapping", "- a\n- b\n", []string{"line 1", "mapping"}},
		{"empty", "", []string{"empty"}},
		{"two documents", validSpecYAML + "---\nname: x\n", []string{"more than one"}},
		{"alias", replace("crp: feature", "crp: &f feature\n  wbc: *f"), []string{"columns.wbc", "aliases"}},
		{"syntax", "name: [unclosed\n", []string{"line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIngestSpec([]byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("error %v does not wrap ErrInvalidSpec", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func FuzzParseIngestSpec(f *testing.F) {
	f.Add([]byte(validSpecYAML))
	f.Add([]byte("name: mnist\ninput: {path: train.idx.gz, format: idx}\nlabel: {classes: [a, b]}\n"))
	f.Add([]byte("name: x\ninput: {path: a, format: csv}\nlabel: {column: y, classes: [0, 1]}\ncolumns: {y: label, a: feature, d: {role: date_of_birth}}\nreference_date: 2020-02-29\n"))
	f.Add([]byte("{a: *b}"))
	f.Add([]byte("columns: !!map {? [a]: b}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseIngestSpec(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error %v does not wrap ErrInvalidSpec", err)
			}
			return
		}
		if s.K < MinK || s.Name == "" || s.Input.Path == "" || len(s.Label.Classes) < 2 {
			t.Fatalf("accepted an invalid spec: %+v", s)
		}
		labels := 0
		for _, c := range s.Columns {
			if c.Role == RoleLabel {
				labels++
			}
			if alwaysQuasiIdentifier(c.Role) && !c.QuasiIdentifier {
				t.Fatalf("column %q role %s not a quasi-identifier", c.Name, c.Role)
			}
			if c.Role == RoleDateOfBirth && s.ReferenceDate.IsZero() {
				t.Fatal("date of birth without reference date")
			}
		}
		if s.Input.Format == FormatCSV && labels != 1 {
			t.Fatalf("csv spec with %d label columns", labels)
		}
	})
}
