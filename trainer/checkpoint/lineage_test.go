package checkpoint

import (
	"strings"
	"testing"
)

// TestWriterChainsParents: each committed manifest names the one before it, the first
// the checkpoint the run resumed from, so the lineage survives in the store itself.
func TestWriterChainsParents(t *testing.T) {
	store := fileStore(t)
	ledger := StoreLedger{Store: store}
	w := NewWriter(store, ledger, nil)
	resumedFrom := strings.Repeat("a", 64)
	w.SetParent(resumedFrom)
	for _, step := range []int64{10, 20, 30} {
		if err := w.Submit(t.Context(), testState(t, step)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	records, err := ledger.List(t.Context(), "exp")
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Fatalf("%d records, want 3", len(records))
	}
	want := resumedFrom
	for _, r := range records {
		l, err := Load(t.Context(), store, r.ManifestSHA)
		if err != nil {
			t.Fatal(err)
		}
		if l.Manifest.Parent != want {
			t.Fatalf("checkpoint at step %d has parent %q, want %q", r.Step, l.Manifest.Parent, want)
		}
		want = r.ManifestSHA
	}
}
