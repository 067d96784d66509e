package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// failAfter fails every Put after the first n, like a rotation killed part-way.
type failAfter struct {
	storage.Store
	n int
}

func (f *failAfter) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if f.n <= 0 {
		return errors.New("killed")
	}
	f.n--
	return f.Store.Put(ctx, key, r, size)
}

func TestRotateKEK(t *testing.T) {
	fs := newFileStore(t)
	old, new := newKEK(t), newKEK(t)
	w := newEncrypted(t, fs, storage.Encryption{KEK: old})
	want := map[string][]byte{}
	for i := range 6 {
		key := fmt.Sprintf("obj/%d", i)
		want[key] = bytes.Repeat([]byte{byte(i)}, i*40_000) // obj/0 is empty
		if err := w.Put(t.Context(), key, bytes.NewReader(want[key]), -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Put(t.Context(), "legacy/plain", strings.NewReader("plain"), 5); err != nil {
		t.Fatal(err)
	}
	want["legacy/plain"] = []byte("plain")
	payloads := map[string][]byte{}
	for key := range want {
		raw, _ := os.ReadFile(rawPath(fs, key))
		payloads[key] = raw
	}

	// Killed after two rewrites: every object is still readable with new + previous old.
	rep, err := storage.RotateKEK(t.Context(), &failAfter{Store: fs, n: 2}, old, new)
	if err == nil || rep.Rewrapped != 2 {
		t.Fatalf("interrupted rotation = %+v, %v; want 2 rewrapped and an error", rep, err)
	}
	during := newEncrypted(t, fs, storage.Encryption{KEK: new, Previous: old})
	for key, data := range want {
		if got, err := readAll(t, during, key); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s after an interrupted rotation: %d bytes, %v", key, len(got), err)
		}
	}

	rep, err = storage.RotateKEK(t.Context(), w, old, new) // the wrapper is unwrapped
	if err != nil || rep != (storage.RotateReport{Rewrapped: 4, Current: 2, Plaintext: 1}) {
		t.Fatalf("resumed rotation = %+v, %v; want 4 rewrapped, 2 current, 1 plaintext", rep, err)
	}
	rep, err = storage.RotateKEK(t.Context(), fs, old, new)
	if err != nil || rep != (storage.RotateReport{Current: 6, Plaintext: 1}) {
		t.Fatalf("rotation run again = %+v, %v; want all current", rep, err)
	}
	after := newEncrypted(t, fs, storage.Encryption{KEK: new})
	for key, data := range want {
		if got, err := readAll(t, after, key); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s under the new KEK alone: %d bytes, %v", key, len(got), err)
		}
		raw, _ := os.ReadFile(rawPath(fs, key))
		before := payloads[key]
		if key == "legacy/plain" {
			if !bytes.Equal(raw, before) {
				t.Fatal("rotation changed a plaintext object")
			}
			continue
		}
		// Header rewritten, payload bytes untouched (not re-encrypted).
		if bytes.Equal(raw[:80], before[:80]) || !bytes.Equal(raw[80:], before[80:]) {
			t.Fatalf("%s: want a new header over the same payload bytes", key)
		}
	}
	if _, err := readAll(t, newEncrypted(t, fs, storage.Encryption{KEK: old}), "obj/3"); !errors.Is(err, storage.ErrWrongKEK) {
		t.Fatalf("the old KEK alone after rotation: %v; want ErrWrongKEK", err)
	}

	// An object under a third KEK stops the rotation, naming it.
	third := newEncrypted(t, fs, storage.Encryption{KEK: newKEK(t)})
	if err := third.Put(t.Context(), "stray", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.RotateKEK(t.Context(), fs, old, new); !errors.Is(err, storage.ErrWrongKEK) || !strings.Contains(err.Error(), "stray") {
		t.Fatalf("rotation over an object of another KEK: %v", err)
	}
}

func TestRotateKEKRefusesTamperedHeader(t *testing.T) {
	fs := newFileStore(t)
	old, new := newKEK(t), newKEK(t)
	w := newEncrypted(t, fs, storage.Encryption{KEK: old})
	if err := w.Put(t.Context(), "a/b", strings.NewReader("data"), 4); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(rawPath(fs, "a/b"))
	raw[40] ^= 1
	if err := os.WriteFile(rawPath(fs, "a/b"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.RotateKEK(t.Context(), fs, old, new); !errors.Is(err, storage.ErrTampered) || !strings.Contains(err.Error(), "a/b") {
		t.Fatalf("rotation of a tampered header: %v; want ErrTampered naming a/b", err)
	}
}
