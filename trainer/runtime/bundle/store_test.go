package bundle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

func TestUploadFetch(t *testing.T) {
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	tree(t, src, map[string]string{"train.py": "print(1)\n", "pkg/m.py": "m"}, func(string) os.FileMode { return 0o644 })
	data, sha, err := Pack(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Upload(t.Context(), store, data)
	if err != nil || got != sha {
		t.Fatalf("Upload = %s, %v; want %s", got, err, sha)
	}
	dest := filepath.Join(t.TempDir(), "code")
	if err := Fetch(t.Context(), store, sha, dest, 1<<20); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "train.py")); err != nil || string(b) != "print(1)\n" {
		t.Fatalf("train.py after Fetch: %q, %v", b, err)
	}

	t.Run("missing", func(t *testing.T) {
		missing := storage.Digest([]byte("never uploaded"))
		dest := filepath.Join(t.TempDir(), "code")
		if err := Fetch(t.Context(), store, missing, dest, 1<<20); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Fetch of a missing bundle = %v, want storage.ErrNotFound", err)
		}
		assertAbsent(t, dest)
	})
	t.Run("corrupt", func(t *testing.T) {
		// Another valid bundle stored under this bundle's key: it unpacks cleanly but
		// does not hash to its name.
		other := t.TempDir()
		tree(t, other, map[string]string{"evil.py": "x"}, func(string) os.FileMode { return 0o644 })
		otherData, _, err := Pack(other, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(t.Context(), storage.BlobKey(sha), bytes.NewReader(otherData), int64(len(otherData))); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(t.TempDir(), "code")
		err = Fetch(t.Context(), store, sha, dest, 1<<20)
		if !errors.Is(err, ErrHashMismatch) || !errors.Is(err, storage.ErrCorrupt) {
			t.Fatalf("Fetch of a corrupt bundle = %v, want ErrHashMismatch and storage.ErrCorrupt", err)
		}
		assertAbsent(t, dest)
	})
	t.Run("bad digest", func(t *testing.T) {
		if err := Fetch(t.Context(), store, "../../etc", filepath.Join(t.TempDir(), "c"), 1<<20); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("Fetch with a bad digest = %v, want storage.ErrInvalidKey", err)
		}
	})
}
