package storage_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/storagetest"
)

func newFileStore(t *testing.T) *storage.FileStore {
	t.Helper()
	s, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatalf("NewFileStore: %v", err)
	}
	return s
}

func TestFileStoreConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return newFileStore(t) })
}

func TestFileStoreOpenURL(t *testing.T) {
	dir := t.TempDir()
	s, err := storage.Open(t.Context(), "file://"+dir+"/sub", storage.Config{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	es, ok := s.(*storage.EncryptedStore) // plaintext mode: no KEK configured
	if !ok || es.Encrypting() {
		t.Fatalf("Open gave %T %v, want a non-encrypting *storage.EncryptedStore", s, s)
	}
	fs, ok := es.Inner().(*storage.FileStore)
	if !ok || fs.Root() != filepath.Join(dir, "sub") {
		t.Fatalf("Open gave %T %v, want a FileStore at %s/sub", s, s, dir)
	}
}

// failingReader yields some bytes and then an error, like a network stream that drops.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("source dropped")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func TestFileStoreFailedPutKeepsOldVersion(t *testing.T) {
	s := newFileStore(t)
	if err := s.Put(t.Context(), "d/obj", strings.NewReader("old"), 3); err != nil {
		t.Fatal(err)
	}
	err := s.Put(t.Context(), "d/obj", &failingReader{n: 1 << 20}, 2<<20)
	if err == nil || !strings.Contains(err.Error(), `"d/obj"`) {
		t.Fatalf("Put from a failing reader: %v, want an error naming the key", err)
	}
	rc, err := s.Get(t.Context(), "d/obj")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); string(got) != "old" {
		t.Fatalf("after a failed overwrite Get = %q, want the old version", got)
	}
	entries, err := os.ReadDir(filepath.Join(s.Root(), "d"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory after a failed Put holds %d entries (%v), want only the object", len(entries), err)
	}
}

func TestFileStoreTempFilesHiddenAndSwept(t *testing.T) {
	s := newFileStore(t)
	if err := s.Put(t.Context(), "d/obj", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(s.Root(), "d", storage.TempPrefix+"crashed")
	if err := os.WriteFile(stray, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(t.Context(), "")
	if err != nil || len(list) != 1 || list[0].Key != "d/obj" {
		t.Fatalf("List with a stray temp file = %+v, %v; want only d/obj", list, err)
	}
	if n, err := s.SweepTemp(t.Context(), time.Hour); err != nil || n != 0 {
		t.Fatalf("SweepTemp(1h) of a fresh temp file = %d, %v; want 0", n, err)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stray, old, old); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepTemp(t.Context(), time.Hour); err != nil || n != 1 {
		t.Fatalf("SweepTemp(1h) of a 2h-old temp file = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stray temp file still there: %v", err)
	}
}

func TestFileStoreErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, s *storage.FileStore)
		key   string
	}{
		{"parent is a file", func(t *testing.T, s *storage.FileStore) {
			if err := s.Put(t.Context(), "blocker", strings.NewReader("x"), 1); err != nil {
				t.Fatal(err)
			}
		}, "blocker/child"},
		{"key is a directory", func(t *testing.T, s *storage.FileStore) {
			if err := s.Put(t.Context(), "dir/child", strings.NewReader("x"), 1); err != nil {
				t.Fatal(err)
			}
		}, "dir"},
		{"root removed", func(t *testing.T, s *storage.FileStore) {
			if err := os.RemoveAll(s.Root()); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.Root(), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "any/key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newFileStore(t)
			tc.setup(t, s)
			err := s.Put(t.Context(), tc.key, strings.NewReader("data"), 4)
			if err == nil || !strings.Contains(err.Error(), `"`+tc.key+`"`) {
				t.Fatalf("Put(%q): %v, want an error naming the key", tc.key, err)
			}
		})
	}
}

func TestFileStoreCanceledContext(t *testing.T) {
	s := newFileStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with canceled context: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with canceled context: %v, want context.Canceled", err)
	}
}
