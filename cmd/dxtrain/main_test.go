package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var binary string

// TestMain builds the real binary once; the tests run it as a user would. It is built
// without VCS stamping, so it names no code version whether or not the checkout is
// clean, and the release tests see the same refusal everywhere.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dxtrain-cli-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dxtrain")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build dxtrain: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dxtrain runs the binary from the repository root, where the README's commands run.
func dxtrain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHelpOnEveryCommand(t *testing.T) {
	root := newRootCommand()
	paths := [][]string{{}}
	for _, c := range root.Commands() {
		paths = append(paths, []string{c.Name()})
		for _, sub := range c.Commands() {
			paths = append(paths, []string{c.Name(), sub.Name()})
		}
	}
	for _, p := range paths {
		t.Run(strings.Join(append([]string{"dxtrain"}, p...), " "), func(t *testing.T) {
			out, err := dxtrain(t, append(p, "--help")...)
			if err != nil || !strings.Contains(out, "Usage:") {
				t.Fatalf("--help failed: %v\n%s", err, out)
			}
		})
	}
}

// TestTrainResumeAndPredict runs the README's tour: train, resume (a no-op on a
// finished run that still ends with the same model), and predict through ONNX Runtime.
func TestTrainResumeAndPredict(t *testing.T) {
	dataDir := t.TempDir()
	out, err := dxtrain(t, "train", "experiments/wdbc-logreg.yaml", "--data-dir", dataDir)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	model := filepath.Join(dataDir, "runs", "wdbc-logreg", "model.onnx")
	for _, want := range []string{"test      accuracy", "ONNX Runtime matches", model} {
		if !strings.Contains(out, want) {
			t.Fatalf("train output lacks %q:\n%s", want, out)
		}
	}
	first, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	out, err = dxtrain(t, "train", "experiments/wdbc-logreg.yaml", "--data-dir", dataDir, "--resume")
	if err != nil {
		t.Fatalf("train --resume: %v\n%s", err, out)
	}
	again, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(again) {
		t.Fatal("resuming a finished run changed the model")
	}
	out, err = dxtrain(t, "predict", "--model", model, "--input", "datasets/testdata/wdbc-sample.csv")
	if err != nil {
		t.Fatalf("predict: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], "P(M)") {
		t.Fatalf("predict printed %d lines, want a header and 6 rows:\n%s", len(lines), out)
	}
	// The sample holds three malignant rows then three benign ones.
	for i, want := range []string{"M", "M", "M", "B", "B", "M"} {
		fields := strings.Fields(lines[i+1])
		if got := fields[len(fields)-1]; got != want {
			t.Errorf("row %d predicted %s, want %s\n%s", i+1, got, want, out)
		}
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	dir := t.TempDir()
	badSpec := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badSpec, []byte("name: x\ntraining:\n  epochs: many\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing spec", []string{"train", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"malformed spec", []string{"train", badSpec}, "bad.yaml:3"},
		{"missing model", []string{"predict", "--model", filepath.Join(dir, "m.onnx"), "--input", "x.csv"}, "m.onnx"},
		{"no arguments", []string{"train"}, "accepts 1 arg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := dxtrain(t, tc.args...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("want a failure mentioning %q, got err=%v:\n%s", tc.want, err, out)
			}
		})
	}
}

// TestIngestThenTrainOnShards: the WDBC ingest spec passes the gate into a local
// registry, and `dxtrain train` trains the ingested-dataset spec from its shards.
func TestIngestThenTrainOnShards(t *testing.T) {
	dataDir := t.TempDir()
	store := "file://" + filepath.Join(dataDir, "store")
	out, err := dxtrain(t, "datasets", "ingest", "datasets/specs/wdbc-ingest.yaml", "--local", "--store", store)
	if err != nil || !strings.Contains(out, "anonymisation gate: passed") || !strings.Contains(out, "dataset wdbc registered") {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	if out, err := dxtrain(t, "datasets", "verify", "wdbc", "--local", "--store", store); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	out, err = dxtrain(t, "train", "experiments/wdbc-ingested-mlp.yaml", "--data-dir", dataDir)
	if err != nil || !strings.Contains(out, "ONNX Runtime matches") {
		t.Fatalf("train on the ingested dataset: %v\n%s", err, out)
	}
}

// TestRawPatientRecordsAreRefused: synthetic raw records whose NHS numbers are declared
// as a feature are refused by the gate, nothing is registered, and no NHS number
// appears in anything dxtrain prints.
func TestRawPatientRecordsAreRefused(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "synth-patients.csv")
	if out, err := dxtrain(t, "datasets", "synth", "--rows", "300", "--out", csvPath); err != nil {
		t.Fatalf("synth: %v\n%s", err, out)
	}
	specPath := filepath.Join(dir, "synth-ingest.yaml")
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	leaky := strings.Replace(string(spec), "nhs_number: {role: identifier, action: pseudonymise, output: patient_key}", "nhs_number: feature", 1)
	if leaky == string(spec) {
		t.Fatal("the synth ingest spec no longer declares nhs_number as expected")
	}
	if err := os.WriteFile(specPath, []byte(leaky), 0o644); err != nil {
		t.Fatal(err)
	}
	store := "file://" + filepath.Join(dir, "store")
	out, err := dxtrain(t, "datasets", "ingest", specPath, "--local", "--store", store)
	if err == nil || !strings.Contains(out, "refused") {
		t.Fatalf("raw NHS numbers were not refused: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(csvPath)
	lines := strings.Split(string(raw), "\n")
	header := strings.Split(lines[0], ",")
	col := -1
	for i, h := range header {
		if h == "nhs_number" {
			col = i
		}
	}
	for _, line := range lines[1:20] {
		fields := strings.Split(line, ",")
		if col < len(fields) && len(fields[col]) >= 10 && strings.Contains(out, fields[col]) {
			t.Fatalf("the output echoes an NHS number:\n%s", out)
		}
	}
	if ls, _ := dxtrain(t, "datasets", "ls", "--local", "--store", store); strings.Contains(ls, "synth-patients") {
		t.Fatalf("a refused dataset was registered:\n%s", ls)
	}
}
