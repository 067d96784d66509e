package validator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayHandlerKeepsOnlyTheTargetStep(t *testing.T) {
	dir := t.TempDir()
	staged := filepath.Join(dir, "step-20")
	if err := os.MkdirAll(filepath.Join(staged, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"state.pt": "weights", "sub/extra.bin": "x"} {
		if err := os.WriteFile(filepath.Join(staged, filepath.FromSlash(name)), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := &replayHandler{target: 20, into: filepath.Join(dir, "replayed"), reached: make(chan struct{})}
	if _, err := h.Checkpoint(t.Context(), 0, 10, staged, nil); err != nil || h.done() {
		t.Fatalf("an earlier step: %v, done %v", err, h.done())
	}
	if _, err := h.Checkpoint(t.Context(), 0, 20, staged, nil); err != nil || !h.done() {
		t.Fatalf("the target step: %v, done %v", err, h.done())
	}
	if b, err := os.ReadFile(filepath.Join(dir, "replayed", "sub", "extra.bin")); err != nil || string(b) != "x" {
		t.Fatalf("the target's files were not kept: %q, %v", b, err)
	}

	past := &replayHandler{target: 20, into: filepath.Join(dir, "past"), reached: make(chan struct{})}
	if _, err := past.Checkpoint(t.Context(), 0, 30, staged, nil); err == nil || !past.done() || past.err == nil {
		t.Fatalf("a step past the target: %v, done %v", err, past.done())
	}
	// The error names both steps and how a script lets a replay stop at the target.
	if msg := past.err.Error(); !strings.Contains(msg, "checkpointed step 30, past the target step 20") || !strings.Contains(msg, "ctx.should_stop(step)") {
		t.Fatalf("a step past the target: %q", msg)
	}
}

func TestReplayDevice(t *testing.T) {
	for _, tc := range []struct {
		chosen, trainedOn string
		world, gpus       int
		want              string
	}{
		{"auto", "gpu", 2, 8, "gpu"},
		{"auto", "gpu", 4, 2, "cpu"}, // too few GPUs: the CPU, within --tolerance
		{"auto", "gpu", 1, 0, "cpu"},
		{"auto", "cpu", 2, 8, "cpu"}, // a CPU run replays where it trained, for bit-identity
		{"gpu", "cpu", 1, 0, "gpu"},
		{"cpu", "gpu", 1, 8, "cpu"},
	} {
		if got := replayDevice(tc.chosen, tc.trainedOn, tc.world, tc.gpus); got != tc.want {
			t.Errorf("replayDevice(%q, trained on %q, world %d, %d GPUs) = %q, want %q", tc.chosen, tc.trainedOn, tc.world, tc.gpus, got, tc.want)
		}
	}
}
