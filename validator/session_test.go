package validator

import (
	"errors"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// A step names a checkpoint only where one has it; a hash prefix always does.
func TestResolveByStepOrHash(t *testing.T) {
	s := &Session{Experiment: "e", Checkpoints: []structs.Checkpoint{
		{Step: 10, ManifestHash: "aaaaaa0001"},
		{Step: 20, ManifestHash: "bbbbbb0002", Refused: &structs.CheckpointRefusal{Reason: "blob corrupt"}},
		{Step: 20, ManifestHash: "cccccc0003"},
		{Step: 123456, ManifestHash: "dddddd0004"},
	}}
	for _, tc := range []struct {
		ref, want, err string
	}{
		{"10", "aaaaaa0001", ""},
		{"bbbbbb", "bbbbbb0002", ""},
		{"sha256:CCCCCC00", "cccccc0003", ""},
		{"123456", "dddddd0004", ""}, // all digits, no such hash: a step
		{"20", "", "2 committed checkpoints at step 20: step 20 (bbbbbb0002) refused, step 20 (cccccc0003)"},
		{"30", "", "no committed checkpoint at step 30"},
		{"eeeeee", "", "no committed checkpoint with manifest eeeeee"},
		{"abc", "", "at least 6 hex digits"},
		{"zzzzzzzz", "", "at least 6 hex digits"},
	} {
		c, err := s.Resolve(tc.ref)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%q) = %+v, %v; want an error containing %q", tc.ref, c, err, tc.err)
			}
			continue
		}
		if err != nil || c.ManifestHash != tc.want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", tc.ref, c.ManifestHash, err, tc.want)
		}
	}
}

func TestReleasableSkipsRefusedAndSuspect(t *testing.T) {
	s := &Session{Experiment: "e", Checkpoints: []structs.Checkpoint{
		{Step: 20, ManifestHash: "b", Refused: &structs.CheckpointRefusal{Reason: "blob corrupt"}},
		{Step: 20, ManifestHash: "c"},
		{Step: 30, ManifestHash: "d", Refused: &structs.CheckpointRefusal{Reason: "blob corrupt"}},
		{Step: 40, ManifestHash: "e", Suspect: true},
	}}
	if c, err := s.releasable(20); err != nil || c.ManifestHash != "c" {
		t.Fatalf("step 20: %+v, %v; want the retrained checkpoint c", c, err)
	}
	if _, err := s.releasable(30); !errors.Is(err, ErrRefusedCheckpoint) {
		t.Fatalf("step 30: %v, want ErrRefusedCheckpoint", err)
	}
	if _, err := s.releasable(40); !errors.Is(err, ErrSuspectCheckpoint) {
		t.Fatalf("step 40: %v, want ErrSuspectCheckpoint", err)
	}
	byHash := &Session{Experiment: "e", Checkpoints: []structs.Checkpoint{
		{Step: 20, ManifestHash: "bbbbbb01", Refused: &structs.CheckpointRefusal{Reason: "blob corrupt"}},
		{Step: 20, ManifestHash: "cccccc02"},
		{Step: 40, ManifestHash: "eeeeee03", Suspect: true},
	}}
	if c, err := byHash.releasableManifest("cccccc"); err != nil || c.ManifestHash != "cccccc02" {
		t.Fatalf("manifest cccccc: %+v, %v", c, err)
	}
	if _, err := byHash.releasableManifest("bbbbbb"); !errors.Is(err, ErrRefusedCheckpoint) {
		t.Fatalf("manifest bbbbbb: %v, want ErrRefusedCheckpoint", err)
	}
	if _, err := byHash.releasableManifest("eeeeee"); !errors.Is(err, ErrSuspectCheckpoint) {
		t.Fatalf("manifest eeeeee: %v, want ErrSuspectCheckpoint", err)
	}
	if _, err := byHash.releasableManifest("20"); err == nil {
		t.Fatal("a step passed as a manifest hash resolved")
	}
}
