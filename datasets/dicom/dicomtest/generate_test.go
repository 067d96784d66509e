package dicomtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/gate"
)

func TestWrite(t *testing.T) {
	cfg := Config{Patients: 3, StudiesPerPatient: 2, ImagesPerSeries: 2, Size: 16, BurnedIn: true, DICOMDIR: true, Seed: 5}
	dir := t.TempDir()
	truth, err := Write(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(truth.Files) != 12 || len(truth.Labels) != 3 {
		t.Fatalf("%d files, %d patients", len(truth.Files), len(truth.Labels))
	}
	for id := range truth.Labels {
		if !gate.ValidNHSNumber(id) {
			t.Errorf("patient ID %s is not a valid NHS number", id)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for p, f := range truth.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if string(b[128:132]) != "DICM" {
			t.Errorf("%s: no DICM", p)
		}
		if !bytes.Contains(csv, []byte(f.PatientID+",")) || len(f.Values) != 16*16 {
			t.Errorf("%s: patient not in labels.csv or no values", p)
		}
	}
	for _, p := range truth.NonDICOM {
		b, _ := os.ReadFile(filepath.Join(dir, p))
		if len(b) >= 132 && string(b[128:132]) == "DICM" {
			t.Errorf("%s has a DICM preamble", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "DICOMDIR")); err != nil {
		t.Error("no DICOMDIR")
	}
	// The same seed writes the same bytes; PHI is recorded.
	again := t.TempDir()
	if _, err := Write(again, cfg); err != nil {
		t.Fatal(err)
	}
	for p := range truth.Files {
		a, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		b, _ := os.ReadFile(filepath.Join(again, filepath.FromSlash(p)))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs between two writes with one seed", p)
		}
	}
	for _, want := range []string{"^", "RAD", "0113 496"} {
		found := false
		for _, s := range truth.PHI {
			found = found || strings.Contains(s, want)
		}
		if !found {
			t.Errorf("no PHI like %q recorded", want)
		}
	}
}
