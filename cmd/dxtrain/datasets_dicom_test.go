package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

// TestDICOMIngestThenTrainCNN: `dxtrain datasets ingest` refuses nothing of a
// de-identified DICOM corpus, registers it split by patient, and `dxtrain train`
// trains a CNN from its shards; nothing dxtrain prints holds an identifying
// string of the corpus.
func TestDICOMIngestThenTrainCNN(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a CNN")
	}
	dir := t.TempDir()
	truth, spec, key := dicomCLICorpus(t, dir)
	store := "file://" + filepath.Join(dir, "store")
	out, err := dxtrain(t, "datasets", "ingest", spec, "--key", key, "--local", "--store", store)
	if err != nil || !strings.Contains(out, "anonymisation gate: passed") || !strings.Contains(out, "dataset dicom-cli registered") {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	exp := dicomCLIExperiment(t, dir)
	trained, err := dxtrain(t, "train", exp, "--data-dir", dir)
	if err != nil {
		t.Fatalf("train on the ingested DICOM dataset: %v\n%s", err, trained)
	}
	all := out + trained
	for _, s := range truth.PHI {
		if len(s) >= 4 && strings.Contains(all, s) {
			t.Fatalf("dxtrain printed an identifying string of %d bytes", len(s))
		}
	}
	t.Log(strings.TrimSpace(trained[max(0, len(trained)-400):]))

	// --raw gates the same files without de-identification: refused, naming tags.
	out, err = dxtrain(t, "datasets", "ingest", spec, "--raw", "--local", "--store", store)
	if err == nil || !strings.Contains(out, "(0010,0010) PatientName") || !strings.Contains(out, "refused") {
		t.Fatalf("raw DICOM not refused by tag: %v\n%s", err, out)
	}
	for _, s := range truth.PHI {
		if len(s) >= 4 && strings.Contains(out, s) {
			t.Fatalf("the raw refusal printed an identifying string of %d bytes", len(s))
		}
	}
}

// TestDICOMIngestThenRunOnDevCluster: the DICOM corpus is ingested into a real
// `dxtrain dev` cluster's registry and the CNN trains on it through `dxtrain run`;
// the server's log holds no identifying string of the corpus.
func TestDICOMIngestThenRunOnDevCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev cluster")
	}
	c := startDev(t)
	dir := t.TempDir()
	truth, spec, key := dicomCLICorpus(t, dir)
	out := c.must(t, c.admin, "datasets", "ingest", spec, "--key", key)
	if !strings.Contains(out, "dataset dicom-cli registered") {
		t.Fatalf("ingest:\n%s", out)
	}
	id := strings.TrimSpace(c.must(t, c.admin, "run", dicomCLIExperiment(t, dir), "--detach"))
	c.waitSucceeded(t, id)
	log, _ := os.ReadFile(filepath.Join(c.dataDir, "dev.log"))
	for _, s := range append(truth.PHI, truth.UIDs...) {
		if len(s) >= 4 && (strings.Contains(out, s) || strings.Contains(string(log), s)) {
			t.Fatalf("an identifying string of %d bytes reached the output or the server's log", len(s))
		}
	}
}

// dicomCLICorpus writes a dicomtest corpus of 12 patients, its ingest spec and a key.
func dicomCLICorpus(t *testing.T, dir string) (dicomtest.Truth, string, string) {
	t.Helper()
	truth, err := dicomtest.Write(filepath.Join(dir, "corpus"), dicomtest.Config{Patients: 12, Size: 32, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "hmac.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("cli-test-key-0123", 3)), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "dicom-ingest.yaml")
	if err := os.WriteFile(spec, []byte(`name: dicom-cli
input: {path: corpus, format: dicom}
label: {classes: ["0", "1"]}
k: 5
dicom:
  shape: [1, 16, 16]
  label: {csv: corpus/labels.csv, patient_column: patient_id, label_column: label}
  quasi_identifiers: [PatientSex]
  subgroups: [PatientSex]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return truth, spec, key
}

// dicomCLIExperiment writes a small CNN experiment on the dicom-cli dataset.
func dicomCLIExperiment(t *testing.T, dir string) string {
	t.Helper()
	exp := filepath.Join(dir, "dicom-cli-cnn.yaml")
	if err := os.WriteFile(exp, []byte(`name: dicom-cli-cnn
dataset: {id: dicom-cli, label: label, classes: ["0", "1"]}
model: {architecture: cnn, input_shape: [1, 16, 16]}
training:
  epochs: 2
  batch_size: 8
  optimizer: {name: adam, learning_rate: 0.001}
  schedule: {name: constant}
  seed: 1
workers: {min: 1, max: 1, device: cpu}
checkpoint: {every_steps: 5, keep_last: 2}
export: {onnx: true}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return exp
}
