package validator

import (
	"crypto/rand"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
)

// TestEvaluationBreaksDownBySubgroup ingests synthetic patients (whose sex, ethnicity
// and site are kept as subgroup attributes), trains on them, and checks the clinical
// report of the final checkpoint has a breakdown per attribute.
func TestEvaluationBreaksDownBySubgroup(t *testing.T) {
	dir := t.TempDir()
	header, rows := synth.Generate(2000, 3)
	csvPath := filepath.Join(dir, "patients.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "synth-ingest.yaml")
	if err := os.WriteFile(specPath, []byte(synth.IngestSpecYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keyPath := filepath.Join(dir, "key")
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewFileStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Ingest(t.Context(), ingest.Config{SpecPath: specPath, InputPath: csvPath, KeyPath: keyPath,
		Store: store, Registrar: ingest.NewLocalRegistry(store), Seed: 1}); err != nil {
		t.Fatal(err)
	}
	spec, err := experiments.Parse([]byte(`name: synth-logreg
dataset: {id: synth-patients, label: sepsis, classes: ["0", "1"]}
model: {architecture: logreg}
training: {epochs: 5, batch_size: 64, optimizer: {name: adam, learning_rate: 0.01}, schedule: {name: constant}, seed: 1}
checkpoint: {every_steps: 0, keep_last: 1}
export: {onnx: false}
`), "synth-logreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := trainLocally(t, spec, store)
	ev, err := localSession(spec, store).Evaluate(t.Context(), res.FinalCheckpoint, "test", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]int{}
	for _, a := range ev.Report.Subgroups {
		attrs[a.Attribute] = len(a.Groups)
	}
	for _, want := range []string{"sex", "ethnicity", "site"} {
		if attrs[want] < 2 {
			t.Errorf("subgroup attribute %s has %d groups in the report, want ≥ 2 (report has %v)", want, attrs[want], attrs)
		}
	}
}
