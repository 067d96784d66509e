package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// minimal is the smallest valid spec; line numbers in the tests below count
// from its first line.
const minimal = `name: tiny
dataset:
  path: data.csv
  label: y
  classes: [neg, pos]
model:
  architecture: mlp
  hidden: [8]
training:
  epochs: 5
  batch_size: 16
  optimizer:
    name: adam
    learning_rate: 0.01
  seed: 7
checkpoint:
  every_steps: 10
export:
  onnx: true
`

func TestParseMinimalAppliesDefaults(t *testing.T) {
	s, err := Parse([]byte(minimal), "tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Name: "tiny",
		Dataset: DatasetSpec{Path: "data.csv", Format: "csv", Label: "y", Classes: []string{"neg", "pos"},
			Split: SplitSpec{Train: 0.70, Validation: 0.15, Test: 0.15}},
		Model: ModelSpec{Architecture: "mlp", Hidden: []int{8}},
		Training: TrainingSpec{Epochs: 5, BatchSize: 16, Seed: 7,
			Optimizer: OptimizerSpec{Name: "adam", LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8},
			Schedule:  ScheduleSpec{Name: "constant"}},
		Workers:     WorkersSpec{Min: 1, Max: 1, Device: "cpu", DevicesPerWorker: 1},
		MaxRestarts: 3,
		Checkpoint:  CheckpointSpec{EverySteps: 10, KeepLast: 3},
		Export:      ExportSpec{ONNX: true, Opset: 17, Tolerance: 1e-4},
	}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("got  %+v\nwant %+v", *s, want)
	}
}

func TestParseKeepsExplicitZeros(t *testing.T) {
	in := strings.Replace(minimal, "    learning_rate: 0.01\n", "    learning_rate: 0.01\n    beta1: 0\n", 1) + "max_restarts: 0\n"
	s, err := Parse([]byte(in), "zeros.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRestarts != 0 || s.Training.Optimizer.Beta1 != 0 || s.Training.Optimizer.Beta2 != 0.999 {
		t.Errorf("max_restarts %d, beta1 %v, beta2 %v; want 0, 0, 0.999", s.MaxRestarts, s.Training.Optimizer.Beta1, s.Training.Optimizer.Beta2)
	}
}

func TestApplyDefaultsProgrammatic(t *testing.T) {
	s := Spec{Training: TrainingSpec{Optimizer: OptimizerSpec{Name: "sgd"}}, Workers: WorkersSpec{Min: 4}}
	s.ApplyDefaults()
	if s.Workers.Max != 4 || s.MaxRestarts != 3 || s.Training.Optimizer.Beta1 != 0 || s.Export.Opset != 17 || s.Dataset.Format != "" {
		t.Errorf("defaults: %+v", s)
	}
}

// edit returns minimal with the line starting with old (after indentation)
// replaced by repl; repl may hold several lines or be empty to delete it.
func edit(t *testing.T, old, repl string) string {
	t.Helper()
	lines := strings.Split(minimal, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " "), old) {
			indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
			if repl == "" {
				return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
			}
			rl := strings.Split(repl, "\n")
			for j := range rl {
				rl[j] = indent + rl[j]
			}
			return strings.Join(append(append(lines[:i:i], rl...), lines[i+1:]...), "\n")
		}
	}
	t.Fatalf("no line starts with %q", old)
	return ""
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name  string
		yaml  func(t *testing.T) string
		field string // must appear in the error
		line  int    // must appear in the error as "source:line:"
		want  string // must appear in the error
	}{
		// Unknown fields and wrong types: yaml.v3's own line numbers.
		{"unknown top-level field", func(t *testing.T) string { return minimal + "colour: red\n" }, "colour", 20, "unknown field"},
		{"unknown nested field", func(t *testing.T) string { return edit(t, "learning_rate:", "learning_rate: 0.01\nlr: 0.1") }, "training.optimizer.lr", 15, "allowed here: name, learning_rate"},
		{"misspelt section", func(t *testing.T) string { return edit(t, "checkpoint:", "checkpoints:") }, "checkpoints", 16, "unknown field"},
		{"string for int", func(t *testing.T) string { return edit(t, "epochs:", "epochs: ten") }, "training.epochs", 10, "want an integer, got !!str `ten`"},
		{"float for int", func(t *testing.T) string { return edit(t, "batch_size:", "batch_size: 16.5") }, "training.batch_size", 11, "want an integer"},
		{"string for float", func(t *testing.T) string { return edit(t, "learning_rate:", "learning_rate: fast") }, "training.optimizer.learning_rate", 14, "want a number"},
		{"negative seed", func(t *testing.T) string { return edit(t, "seed:", "seed: -1") }, "training.seed", 15, "want a non-negative integer"},
		{"string in int list", func(t *testing.T) string { return edit(t, "hidden:", "hidden: [8, wide]") }, "model.hidden[1]", 8, "want an integer, got !!str `wide`"},
		{"list for string", func(t *testing.T) string { return edit(t, "label:", "label: [y]") }, "dataset.label", 4, "want a string"},
		{"scalar for section", func(t *testing.T) string {
			return strings.Replace(minimal, "export:\n  onnx: true\n", "export: yes\n", 1)
		}, "export", 18, "want a mapping"},
		{"float in int list", func(t *testing.T) string { return edit(t, "hidden:", "hidden: [8, 1e3]") }, "model.hidden[1]", 8, "want an integer, got !!float `1e3`"},
		{"not a bool", func(t *testing.T) string { return edit(t, "onnx:", "onnx: maybe") }, "export.onnx", 19, "want true or false"},
		{"duplicate key", func(t *testing.T) string { return edit(t, "epochs:", "epochs: 5\nepochs: 6") }, "training.epochs", 11, "set twice"},
		// Impossible values: lines found by field path.
		{"bad name", func(t *testing.T) string { return edit(t, "name: tiny", "name: Tiny_Model") }, "name", 1, "DNS label"},
		{"path and id", func(t *testing.T) string { return edit(t, "path:", "path: data.csv\nid: wdbc") }, "dataset", 2, "exactly one"},
		{"neither path nor id", func(t *testing.T) string { return edit(t, "path:", "") }, "dataset", 2, "needs one of path"},
		{"format not csv", func(t *testing.T) string { return edit(t, "path:", "path: data.csv\nformat: parquet") }, "dataset.format", 4, `"csv"`},
		{"missing label", func(t *testing.T) string { return edit(t, "label:", "") }, "dataset.label", 2, "is required"},
		{"one class", func(t *testing.T) string { return edit(t, "classes:", "classes: [pos]") }, "dataset.classes", 5, "at least 2"},
		{"repeated class", func(t *testing.T) string { return edit(t, "classes:", "classes: [pos, pos]") }, "dataset.classes[1]", 5, "listed twice"},
		{"label as feature", func(t *testing.T) string { return edit(t, "classes:", "classes: [a, b]\nfeatures: [x, y]") }, "dataset.features[1]", 6, "label column"},
		{"split sum", func(t *testing.T) string {
			return edit(t, "classes:", "classes: [a, b]\nsplit: {train: 0.8, validation: 0.15, test: 0.1}")
		}, "dataset.split", 6, "sum to 1"},
		{"split zero", func(t *testing.T) string {
			return edit(t, "classes:", "classes: [a, b]\nsplit:\n  train: 1\n  validation: 0\n  test: 0")
		}, "dataset.split.validation", 8, "(0, 1)"},
		{"unknown architecture", func(t *testing.T) string { return edit(t, "architecture:", "architecture: transformer") }, "model.architecture", 7, `"logreg" "mlp" "cnn"`},
		{"mlp without hidden", func(t *testing.T) string { return edit(t, "hidden:", "") }, "model.hidden", 6, "at least one hidden"},
		{"zero width", func(t *testing.T) string { return edit(t, "hidden:", "hidden:\n  - 8\n  - 0") }, "model.hidden[1]", 10, "[1, 65536]"},
		{"logreg with hidden", func(t *testing.T) string { return edit(t, "architecture:", "architecture: logreg") }, "model.hidden", 8, "empty for logreg"},
		{"cnn shape", func(t *testing.T) string {
			return edit(t, "architecture:", "architecture: cnn\ninput_shape: [1, 28]")
		}, "model.input_shape", 8, "[channels, height, width]"},
		{"zero epochs", func(t *testing.T) string { return edit(t, "epochs:", "epochs: 0") }, "training.epochs", 10, "[1, 100000]"},
		{"huge batch", func(t *testing.T) string { return edit(t, "batch_size:", "batch_size: 100000") }, "training.batch_size", 11, "[1, 65536]"},
		{"unknown optimizer", func(t *testing.T) string { return edit(t, "name: adam", "name: rmsprop") }, "training.optimizer.name", 13, `"sgd" "adam"`},
		{"zero learning rate", func(t *testing.T) string { return edit(t, "learning_rate:", "learning_rate: 0") }, "training.optimizer.learning_rate", 14, "(0, 10]"},
		{"NaN learning rate", func(t *testing.T) string { return edit(t, "learning_rate:", "learning_rate: .nan") }, "training.optimizer.learning_rate", 14, "(0, 10]"},
		{"beta1 one", func(t *testing.T) string { return edit(t, "learning_rate:", "learning_rate: 0.01\nbeta1: 1") }, "training.optimizer.beta1", 15, "[0, 1)"},
		{"momentum with adam", func(t *testing.T) string { return edit(t, "learning_rate:", "learning_rate: 0.01\nmomentum: 0.9") }, "training.optimizer.momentum", 15, "sgd only"},
		{"momentum one", func(t *testing.T) string {
			return edit(t, "name: adam", "name: sgd\nmomentum: 1")
		}, "training.optimizer.momentum", 14, "[0, 1)"},
		{"unknown schedule", func(t *testing.T) string { return edit(t, "seed:", "seed: 7\nschedule: {name: linear}") }, "training.schedule.name", 16, `"constant" "cosine" "step"`},
		{"step without size", func(t *testing.T) string { return edit(t, "seed:", "seed: 7\nschedule:\n  name: step\n  gamma: 0.5") }, "training.schedule.step_size", 16, "step_size ≥ 1"},
		{"step gamma", func(t *testing.T) string {
			return edit(t, "seed:", "seed: 7\nschedule:\n  name: step\n  step_size: 10\n  gamma: 1.5")
		}, "training.schedule.gamma", 19, "(0, 1]"},
		{"negative warmup", func(t *testing.T) string { return edit(t, "seed:", "seed: 7\nschedule:\n  warmup_steps: -5") }, "training.schedule.warmup_steps", 17, "≥ 0"},
		{"workers min above max", func(t *testing.T) string { return minimal + "workers:\n  min: 4\n  max: 2\n" }, "workers.max", 22, "[workers.min 4, 1024]"},
		{"too many workers", func(t *testing.T) string { return minimal + "workers: {min: 2000, max: 2000}\n" }, "workers.min", 20, "[1, 1024]"},
		{"unknown device", func(t *testing.T) string { return minimal + "workers:\n  device: tpu\n" }, "workers.device", 21, `"cpu" "gpu"`},
		{"restarts", func(t *testing.T) string { return minimal + "max_restarts: 101\n" }, "max_restarts", 20, "[0, 100]"},
		{"negative every_steps", func(t *testing.T) string { return edit(t, "every_steps:", "every_steps: -1") }, "checkpoint.every_steps", 17, "≥ 0"},
		{"keep_last zero", func(t *testing.T) string { return edit(t, "every_steps:", "every_steps: 10\nkeep_last: 0") }, "checkpoint.keep_last", 18, "[1, 1000]"},
		{"keep_best metric", func(t *testing.T) string { return edit(t, "every_steps:", "every_steps: 10\nkeep_best: train_loss") }, "checkpoint.keep_best", 18, "val_auroc"},
		{"opset", func(t *testing.T) string { return edit(t, "onnx:", "onnx: true\nopset: 13") }, "export.opset", 20, "only opset 17 is supported"},
		{"tolerance", func(t *testing.T) string { return edit(t, "onnx:", "onnx: true\ntolerance: 0.5") }, "export.tolerance", 20, "(0, 0.01]"},
		{"explicit zero tolerance", func(t *testing.T) string { return edit(t, "onnx:", "onnx: true\ntolerance: 0") }, "export.tolerance", 20, "(0, 0.01]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml(t)), "bad.yaml")
			if err == nil {
				t.Fatal("Parse accepted the spec")
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("error does not wrap ErrInvalidSpec: %v", err)
			}
			msg := err.Error()
			var found bool
			for _, l := range strings.Split(msg, "\n") {
				if strings.Contains(l, fmt.Sprintf("bad.yaml:%d: %s: ", tt.line, tt.field)) && strings.Contains(l, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("error\n%s\nhas no line with %q, field %q and %q", msg, fmt.Sprintf("bad.yaml:%d:", tt.line), tt.field, tt.want)
			}
		})
	}
}

func TestParseCollectsAllProblems(t *testing.T) {
	in := edit(t, "epochs:", "epochs: 0\nbatch_size: 0")
	in = strings.Replace(in, "  batch_size: 16\n", "", 1)
	in = strings.Replace(in, "learning_rate: 0.01", "learning_rate: -1", 1)
	_, err := Parse([]byte(in), "many.yaml")
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SpecError", err)
	}
	var fields []string
	for _, p := range se.Problems {
		fields = append(fields, p.Field)
	}
	want := []string{"training.epochs", "training.batch_size", "training.optimizer.learning_rate"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("problems at %v, want %v (in line order)", fields, want)
	}
}

func TestParseDocumentProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "bad.yaml: spec is empty"},
		{"comments only", "# nothing\n", "bad.yaml: spec is empty"},
		{"syntax", "name: a\n  dataset: [\n", "bad.yaml:2: invalid YAML"},
		{"tab indentation", "name: a\ndataset:\n\tpath: x\n", "bad.yaml:3: invalid YAML"},
		{"two documents", minimal + "---\n" + minimal, "more than one YAML document"},
		{"a list", "- name: a\n", "bad.yaml:1: want a mapping with keys name"},
		{"a scalar", "hello\n", "bad.yaml:1: want a mapping"},
		{"null document", "~\n", "spec must be a YAML mapping"},
		{"alias", minimal + "description: &d x\nworkers: {device: *d}\n", "bad.yaml:20: YAML anchors"},
		{"merge key", "base: &b {epochs: 1}\ntraining:\n  <<: *b\n", "bad.yaml:1: YAML anchors"},
		{"too large", "name: a\n" + strings.Repeat("#", MaxSpecSize), "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), "bad.yaml")
			if err == nil || !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrInvalidSpec containing %q", err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(path, []byte(edit(t, "epochs:", "epochs: -3")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":10: training.epochs:") {
		t.Errorf("Load error %v does not name %s:10 and the field", err, path)
	}
	if _, err := Load(filepath.Join(dir, "absent.yaml")); err == nil || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
}
