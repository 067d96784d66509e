package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// A writer that rebuilds bit-identical tensors re-uploads them, so their blob is dated
// now and the coordinator's GC grace period protects it until the commit.
func TestWriterRefreshesIdenticalBlobs(t *testing.T) {
	store := fileStore(t)
	st := testState(t, 10)
	m, _, err := Save(t.Context(), store, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	path := func(sha string) string { return filepath.Join(store.Root(), filepath.FromSlash(storage.BlobKey(sha))) }
	for _, b := range m.Blobs {
		if err := os.Chtimes(path(b.SHA256), old, old); err != nil {
			t.Fatal(err)
		}
	}
	w := NewWriter(store, StoreLedger{Store: store}, nil)
	if err := w.Submit(t.Context(), testState(t, 10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Blobs {
		fi, err := os.Stat(path(b.SHA256))
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(fi.ModTime()) > time.Hour {
			t.Errorf("blob %s (%s) still dated %v after the writer stored it again", b.Name, b.SHA256, fi.ModTime())
		}
	}
}
