package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFilesRoundTripAndVerify(t *testing.T) {
	ctx := t.Context()
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"state.pt": "weights", "extra/opt.pt": "moments"}
	st := &FilesState{Experiment: "e1", Step: 40, WorldSize: 2, Dir: writeTree(t, files), CodeBundle: strings.Repeat("a", 64),
		Metrics: map[string]float64{"loss": 0.5}, Parent: strings.Repeat("b", 64)}
	m, sha, err := SaveFiles(ctx, store, st, time.Unix(100, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsTorch() || len(m.Blobs) != 2 || m.Blobs[0].Name != "extra/opt.pt" || m.CodeBundle != st.CodeBundle {
		t.Fatalf("manifest %+v", m)
	}
	dest := filepath.Join(t.TempDir(), "resume")
	got, err := LoadFiles(ctx, store, sha, dest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cursor.Step != 40 || got.Parent != st.Parent || got.WorldSize != 2 {
		t.Errorf("loaded manifest %+v", got)
	}
	for name, body := range files {
		b, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name)))
		if err != nil || string(b) != body {
			t.Errorf("%s: %q, %v", name, b, err)
		}
	}
	if _, err := Verify(ctx, store, sha); err != nil {
		t.Fatal(err)
	}
	// A flipped byte in a file's blob is named by Verify and refused by LoadFiles,
	// which leaves no partial directory behind.
	key := storage.BlobKey(m.Blobs[1].SHA256)
	if err := store.Put(ctx, key, strings.NewReader("weightz"), 7); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, store, sha); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "state.pt") {
		t.Errorf("verify of a corrupt file: %v", err)
	}
	dest2 := filepath.Join(t.TempDir(), "resume")
	if _, err := LoadFiles(ctx, store, sha, dest2); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("load of a corrupt file: %v", err)
	}
	if _, err := os.Stat(dest2); !os.IsNotExist(err) {
		t.Errorf("a failed load left %s behind", dest2)
	}
}

func TestSaveFilesRefusals(t *testing.T) {
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	big := &FilesState{Experiment: "e1", Step: 1, Dir: writeTree(t, map[string]string{"a": "0123456789"}), MaxBytes: 5}
	if _, _, err := SaveFiles(t.Context(), store, big, time.Now()); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit is 5 bytes") {
		t.Errorf("over the cap: %v", err)
	}
	link := writeTree(t, map[string]string{"a": "x"})
	if err := os.Symlink("/etc/passwd", filepath.Join(link, "b")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SaveFiles(t.Context(), store, &FilesState{Experiment: "e1", Step: 1, Dir: link}, time.Now()); err == nil || !strings.Contains(err.Error(), "b is not a regular file") {
		t.Errorf("symlink: %v", err)
	}
	if _, _, err := SaveFiles(t.Context(), store, &FilesState{Experiment: "e1", Step: 1, Dir: t.TempDir()}, time.Now()); err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("empty dir: %v", err)
	}
	if infos, _ := store.List(t.Context(), ""); len(infos) != 0 {
		t.Errorf("refused checkpoints left %d objects", len(infos))
	}
}

func TestDecodeTorchManifestRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", "../x", "/abs", "a//b", "a/./b"} {
		m := Manifest{FormatVersion: FormatVersion, Runtime: RuntimeTorch, Experiment: "e",
			Blobs: []Blob{{Name: name, SHA256: strings.Repeat("c", 64)}}}
		data, _ := m.Encode()
		if _, err := DecodeManifest(data, "m"); !errors.Is(err, ErrMalformed) {
			t.Errorf("name %q: %v", name, err)
		}
	}
}
