package deid

import (
	"path/filepath"
	"testing"
)

// TestShippedSpecsParse parses every ingest spec in datasets/specs, so an example
// that drifts from the format fails here rather than in a user's hands.
func TestShippedSpecsParse(t *testing.T) {
	paths, err := filepath.Glob("../specs/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no specs: %v", err)
	}
	for _, p := range paths {
		if _, err := LoadIngestSpec(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
