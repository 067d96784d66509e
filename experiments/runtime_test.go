package experiments

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const torchMinimal = `name: lesions
runtime: torch
code:
  path: code
  entrypoint: train.py
  args: ["--epochs", "3"]
dataset:
  id: lesions
workers: {min: 2, max: 2}
`

func TestParseTorchAppliesOnlySharedDefaults(t *testing.T) {
	s, err := Parse([]byte(torchMinimal), "lesions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Name: "lesions", Runtime: RuntimeTorch, Dataset: DatasetSpec{ID: "lesions"},
		Code:        &CodeSpec{Path: "code", Entrypoint: "train.py", Args: []string{"--epochs", "3"}},
		Workers:     WorkersSpec{Min: 2, Max: 2, Device: "cpu", DevicesPerWorker: 1},
		MaxRestarts: 3, Checkpoint: CheckpointSpec{KeepLast: 3},
	}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("got  %+v\nwant %+v", *s, want)
	}
	if !s.IsTorch() || s.Silence() != DefaultSilenceTimeout {
		t.Errorf("IsTorch %v, Silence %s", s.IsTorch(), s.Silence())
	}
}

func TestParseTorchFields(t *testing.T) {
	s, err := Parse([]byte(torchMinimal+"seed: 9\nsilence_timeout: 90s\nenv:\n  NCCL_DEBUG: WARN\n  CUBLAS_WORKSPACE_CONFIG: \":4096:8\"\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 9 || s.Silence() != 90*time.Second || s.Env["NCCL_DEBUG"] != "WARN" {
		t.Errorf("got seed %d silence %s env %v", s.Seed, s.Silence(), s.Env)
	}
}

// TestParseTorchRefusals: each bad spec is refused with the field and the line.
func TestParseTorchRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, extra, field string
		line               int
		msg                string
	}{
		{"native model", "model:\n  architecture: mlp\n", "model", 10, "runtime: native only"},
		{"native training", "training:\n  epochs: 3\n", "training", 10, "runtime: native only"},
		{"native cadence", "checkpoint:\n  every_steps: 5\n", "checkpoint.every_steps", 11, "runtime: native only"},
		{"owned env", "env:\n  CUDA_VISIBLE_DEVICES: \"1\"\n", "env.CUDA_VISIBLE_DEVICES", 11, "set by dxtrain"},
		{"owned rank", "env:\n  RANK: \"3\"\n", "env.RANK", 11, "set by dxtrain"},
		{"dxtrain env", "env:\n  DXTRAIN_SOCKET: /tmp/x\n", "env.DXTRAIN_SOCKET", 11, "set by dxtrain"},
		{"not allowed env", "env:\n  LD_PRELOAD: /tmp/evil.so\n", "env.LD_PRELOAD", 11, "not allowed"},
		{"bad silence", "silence_timeout: soon\n", "silence_timeout", 10, "duration"},
		{"short silence", "silence_timeout: 1ms\n", "silence_timeout", 10, "must be in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(torchMinimal+tc.extra), "x.yaml")
			assertProblem(t, err, tc.field, tc.line, tc.msg)
		})
	}
	for _, tc := range []struct{ name, spec, field, msg string }{
		{"no code", strings.Replace(torchMinimal, "code:\n  path: code\n  entrypoint: train.py\n  args: [\"--epochs\", \"3\"]\n", "", 1), "code", "is required"},
		{"escaping entrypoint", strings.Replace(torchMinimal, "train.py", "../train.py", 1), "code.entrypoint", "clean relative path"},
		{"absolute entrypoint", strings.Replace(torchMinimal, "train.py", "/bin/sh", 1), "code.entrypoint", "clean relative path"},
		{"no dataset", strings.Replace(torchMinimal, "  id: lesions\n", "  id: \"\"\n", 1), "dataset.id", "is required"},
		{"unknown runtime", strings.Replace(torchMinimal, "runtime: torch", "runtime: jax", 1), "runtime", "must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.spec), "x.yaml")
			assertProblem(t, err, tc.field, -1, tc.msg)
		})
	}
}

func TestParseNativeRefusesTorchFields(t *testing.T) {
	_, err := Parse([]byte(minimal+"code:\n  path: x\n  entrypoint: y.py\n"), "x.yaml")
	assertProblem(t, err, "code", 20, "runtime: torch only")
}

// assertProblem checks that err is a SpecError with a problem at field (and line,
// unless line is -1) whose message contains msg.
func assertProblem(t *testing.T, err error, field string, line int, msg string) {
	t.Helper()
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("want a SpecError, got %v", err)
	}
	for _, p := range se.Problems {
		if p.Field == field && (line < 0 || p.Line == line) && strings.Contains(p.Message, msg) {
			return
		}
	}
	t.Fatalf("no problem at %s line %d containing %q in: %v", field, line, msg, err)
}
