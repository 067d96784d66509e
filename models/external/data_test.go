package external

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models/release"
)

func TestReadTabularRefusals(t *testing.T) {
	f := newFixture(t, true)
	card := &f.v.Card
	cases := []struct {
		name, csv string
		in        TabularInput
		sentinel  error
		want      []string
	}{
		{"missing values counted per column", "marker,noise,diagnosis\n1,NA,benign\n,2,malignant\n3,,benign\n", TabularInput{Label: "diagnosis"},
			ErrMissingValues, []string{"marker: 1", "noise: 2", "2 columns"}},
		{"a missing label", "marker,noise,diagnosis\n1,2,\n", TabularInput{Label: "diagnosis"}, ErrMissingValues, []string{"diagnosis (label): 1"}},
		{"labels outside the classes", "marker,noise,diagnosis\n1,2,benign\n1,2,Malignant\n1,2,maybe\n", TabularInput{Label: "diagnosis"},
			ErrLabels, []string{"2 rows", "line 3", "[benign malignant]"}},
		{"missing and extra columns, both sides", "marker,noise_level,nhs_number,diagnosis\n1,2,3,benign\n", TabularInput{Label: "diagnosis"},
			ErrColumns, []string{"missing from the data: [noise]", "not an input, the label or a subgroup: [noise_level, nhs_number]", "--map"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTabular(strings.NewReader(tc.csv), "local.csv", card, tc.in)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("got %v, want %v", err, tc.sentinel)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("%q does not say %q", err, w)
				}
			}
		})
	}
	t.Run("a mapping renames", func(t *testing.T) {
		m, err := ParseMapping([]byte("# ours\nnoise = noise_level\n"), "map.txt")
		if err != nil {
			t.Fatal(err)
		}
		d, err := ReadTabular(strings.NewReader("noise_level,marker,diagnosis\n7,1.5,malignant\n"), "local.csv", card, TabularInput{Label: "diagnosis", Mapping: m})
		if err != nil || d.N != 1 || d.X[0] != 1.5 || d.X[1] != 7 || d.Y[0] != 1 {
			t.Fatalf("mapped read: %v %+v", err, d)
		}
	})
	t.Run("a non-numeric cell names the column, not the value", func(t *testing.T) {
		_, err := ReadTabular(strings.NewReader("marker,noise,diagnosis\n1,Smith-4471,benign\n"), "local.csv", card, TabularInput{Label: "diagnosis"})
		if err == nil || !strings.Contains(err.Error(), `"noise"`) || strings.Contains(err.Error(), "Smith") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestNoRowLevelValueLeaves: not one cell of the trust's data — no input value, no
// identifier-like subgroup value under the floor — appears in the report's JSON, its
// signed form, its printed table, or an error about the data.
func TestNoRowLevelValueLeaves(t *testing.T) {
	f := newFixture(t, true)
	x, y := population(400, 0.35, 0.5, 11)
	rare := func(i int) string {
		if i%50 == 0 {
			return "patient-Q7731-" + string(rune('a'+i/50)) // a value held by one row each
		}
		return "ward"
	}
	csv, cells := csvOf(x, y, "marker,noise,diagnosis,site", rare)
	e, err := evaluateCSV(t, f, csv, Options{Threshold: 0.4}, "site")
	if err != nil {
		t.Fatal(err)
	}
	outputs := everyOutput(t, f, e)
	for name, out := range outputs {
		if bytes.Contains(out, []byte("Q7731")) {
			t.Fatalf("%s holds a subgroup value of fewer rows than the floor", name)
		}
		for _, c := range cells {
			if len(c) >= 6 && bytes.Contains(out, []byte(c)) {
				t.Fatalf("%s holds the row-level value %s", name, c)
			}
		}
	}
	// A data error with a value in the bad cell names where, never what.
	bad := strings.Replace(csv, cells[10], cells[10]+"x", 1)
	if _, err := evaluateCSV(t, f, bad, Options{}, "site"); err == nil || strings.Contains(err.Error(), cells[10]) {
		t.Fatalf("an error about a bad cell: %v", err)
	}
	// The report verifies, and its evaluation reads back with every count at the floor.
	r, err := release.VerifyReport(outputs["report.json"], outputs["report.sig"])
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckAgainst(f.v); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEvaluation(r); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("DXTRAIN_WRITE_REPORT") != "" {
		_ = os.WriteFile(filepath.Join(os.TempDir(), "site-report.json"), outputs["report.json"], 0o644)
	}
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte("a = b\n# c\n\nd=e\n"))
	f.Add([]byte("a = b\na = c\n"))
	f.Add([]byte("=\n"))
	f.Add([]byte("a = b\nc = b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data, "fuzz")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for k, v := range m {
			if k == "" || v == "" || seen[v] {
				t.Fatalf("accepted an empty or repeated mapping %q → %q", k, v)
			}
			seen[v] = true
		}
	})
}

func FuzzParseRequirements(f *testing.F) {
	f.Add("auroc>=0.85,sensitivity>=0.9")
	f.Add("auroc>0.85")
	f.Add(" , npv>=1")
	f.Add("ppv>=NaN")
	f.Fuzz(func(t *testing.T, s string) {
		reqs, err := ParseRequirements(s)
		if err != nil {
			return
		}
		for _, r := range reqs {
			if !contains(requirable, r.Metric) || !(r.Min >= 0 && r.Min <= 1) {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

// everyOutput is everything an evaluation leaves the trust as: the signed report, its
// signature, the printed report and the evaluation's JSON, by name.
func everyOutput(t *testing.T, f *fixture, e *Evaluation) map[string][]byte {
	t.Helper()
	report, sig, err := Sign(f.v, e, "Test Trust", f.site, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := e.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(e, "", "  ")
	return map[string][]byte{"report.json": report, "report.sig": sig, "printed report": text.Bytes(), "evaluation JSON": pretty}
}
