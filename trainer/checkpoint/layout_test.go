package checkpoint

import (
	"errors"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/kernels"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
)

// format1Manifest is the checkpoint in testdata/format1: trainedFixtureState saved by
// commit 7351023, the last to write format 1 (dense weights stored [in, out]).
const format1Manifest = "5708a877c0e501ec9d44fbdbefc6a6ae2826d2197c4aac8a4a761ba997569972"

// TestLoadsFormat1 loads a checkpoint written by format 1 and finds, bit for bit, the
// tensors today's engine computes for the same training, in today's layout: a run
// written before the change resumes and replays as if nothing had changed.
func TestLoadsFormat1(t *testing.T) {
	if kernels.KernelName() == "go" {
		t.Skip("the fixture holds the fused multiply-add kernels' bits")
	}
	store, err := storage.NewFileStore("testdata/format1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(t.Context(), store, format1Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if l.Manifest.FormatVersion != 1 {
		t.Fatalf("fixture has format %d, want 1", l.Manifest.FormatVersion)
	}
	want, err := trainedFixtureState()
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []struct {
		got  map[string][]float32
		want []*models.Param
	}{{l.Params, want.Params}, {l.Optimizer, want.Optimizer}} {
		if len(part.got) != len(part.want) {
			t.Fatalf("loaded %d tensors, want %d", len(part.got), len(part.want))
		}
		for _, p := range part.want {
			if !equalBits(part.got[p.Name], p.Data) {
				t.Errorf("%s %v: loaded %v, today's engine computes %v", p.Name, p.Shape, part.got[p.Name], p.Data)
			}
		}
	}
}

// TestUpgradeRefusesWrongSize: a format 1 tensor whose size does not match its layer
// is named, not transposed out of bounds.
func TestUpgradeRefusesWrongSize(t *testing.T) {
	st, err := trainedFixtureState()
	if err != nil {
		t.Fatal(err)
	}
	params := map[string][]float32{"dense0.weight": make([]float32, 19)}
	err = upgradeDenseLayout(st.Network, params, nil)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "dense0.weight has 19 values, layer dense0.weight is 5×4") {
		t.Fatalf("error %v, want ErrMalformed naming dense0.weight's size", err)
	}
}
