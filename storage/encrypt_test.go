package storage_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/storagetest"
)

func newKEK(t testing.TB) storage.KEK {
	t.Helper()
	k, err := storage.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEncrypted(t testing.TB, inner storage.Store, e storage.Encryption) *storage.EncryptedStore {
	t.Helper()
	s, err := storage.NewEncryptedStore(inner, e)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEncryptedConformance(t *testing.T) {
	kek := newKEK(t)
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return newEncrypted(t, newFileStore(t), storage.Encryption{KEK: kek})
	})
}

// readAll reads the object; it returns the error of Get or of the read.
func readAll(t *testing.T, s storage.Store, key string) ([]byte, error) {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestEncryptedSizesAcrossPackages(t *testing.T) {
	fs := newFileStore(t)
	s := newEncrypted(t, fs, storage.Encryption{KEK: newKEK(t)})
	for _, n := range []int{0, 1, 65535, 65536, 65537, 3*65536 + 7} {
		for _, declared := range []bool{true, false} {
			data := bytes.Repeat([]byte{byte(n)}, n)
			size := int64(-1)
			if declared {
				size = int64(n)
			}
			key := "sizes/obj"
			if err := s.Put(t.Context(), key, bytes.NewReader(data), size); err != nil {
				t.Fatalf("Put %d bytes (declared %t): %v", n, declared, err)
			}
			got, err := readAll(t, s, key)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get %d bytes (declared %t): %d bytes, %v", n, declared, len(got), err)
			}
			info, err := s.Stat(t.Context(), key)
			if err != nil || info.Size != int64(n) {
				t.Fatalf("Stat of %d bytes = %+v, %v; want the plaintext size", n, info, err)
			}
			list, err := s.List(t.Context(), "sizes/")
			if err != nil || len(list) != 1 || list[0].Size != int64(n) {
				t.Fatalf("List of %d bytes = %+v, %v; want the plaintext size", n, list, err)
			}
			raw, err := fs.Stat(t.Context(), key)
			if err != nil || raw.Size <= int64(n) {
				t.Fatalf("raw object of %d plaintext bytes is %+v, %v: not encrypted?", n, raw, err)
			}
		}
	}
	// A declared size the reader does not honour writes nothing.
	if err := s.Put(t.Context(), "sizes/short", strings.NewReader("abc"), 4); err == nil {
		t.Fatal("Put of 3 bytes declared as 4 succeeded")
	}
	if err := s.Put(t.Context(), "sizes/empty-liar", strings.NewReader("abc"), 0); err == nil {
		t.Fatal("Put of 3 bytes declared as 0 succeeded")
	}
}

// floatBytes is the little-endian float32 encoding safetensors and shards use.
func floatBytes(vals []float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// grepTree reports the files under root that contain needle.
func grepTree(t *testing.T, root string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func TestEncryptedRawFilesHoldNoPlaintext(t *testing.T) {
	fs := newFileStore(t)
	s := newEncrypted(t, fs, storage.Encryption{KEK: newKEK(t)})
	vals := make([]float32, 5000)
	for i := range vals {
		vals[i] = float32(math.Sin(float64(i))) * 17.25
	}
	data := floatBytes(vals)
	sha, err := storage.PutBlob(t.Context(), s, data)
	if err != nil {
		t.Fatal(err)
	}
	if sha != storage.Digest(data) {
		t.Fatalf("content address %s is not the plaintext's SHA-256 %s", sha, storage.Digest(data))
	}
	// Any 16 consecutive bytes of the plaintext would betray it.
	for off := 0; off+16 <= len(data); off += 997 {
		if hits := grepTree(t, fs.Root(), data[off:off+16]); len(hits) > 0 {
			t.Fatalf("plaintext bytes at offset %d found in %v", off, hits)
		}
	}
	if got, err := storage.GetBlob(t.Context(), s, sha); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetBlob through the encrypted store: %v", err)
	}
}

// rawPath is the file holding key in a file store.
func rawPath(fs *storage.FileStore, key string) string {
	return filepath.Join(fs.Root(), filepath.FromSlash(key))
}

func TestEncryptedTamperingRefused(t *testing.T) {
	kek := newKEK(t)
	data := bytes.Repeat([]byte("patient-free bytes "), 10_000) // ~190 KB: 3 packages
	cases := []struct {
		name   string
		damage func(b []byte) []byte
		want   error
	}{
		{"flipped payload byte", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, storage.ErrTampered},
		{"flipped last byte", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, storage.ErrTampered},
		{"truncated mid package", func(b []byte) []byte { return b[:len(b)-100] }, storage.ErrTampered},
		{"last package dropped", func(b []byte) []byte { return b[:80+2*(65536+32)] }, storage.ErrTampered},
		{"cut to the header", func(b []byte) []byte { return b[:80] }, storage.ErrTampered},
		{"header cut", func(b []byte) []byte { return b[:40] }, storage.ErrTampered},
		{"wrapped key flipped", func(b []byte) []byte { b[50] ^= 1; return b }, storage.ErrTampered},
		{"nonce flipped", func(b []byte) []byte { b[25] ^= 1; return b }, storage.ErrTampered},
		{"empty flag set", func(b []byte) []byte { b[8] |= 1; return b }, storage.ErrTampered},
		{"kek id changed", func(b []byte) []byte { b[12] ^= 1; return b }, storage.ErrWrongKEK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFileStore(t)
			s := newEncrypted(t, fs, storage.Encryption{KEK: kek})
			sha, err := storage.PutBlob(t.Context(), s, data)
			if err != nil {
				t.Fatal(err)
			}
			key := storage.BlobKey(sha)
			raw, err := os.ReadFile(rawPath(fs, key))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rawPath(fs, key), tc.damage(raw), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := storage.GetBlob(t.Context(), s, sha)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("GetBlob of a damaged object = %d bytes, %v; want nothing and %v", len(got), err, tc.want)
			}
			if !strings.Contains(err.Error(), key) {
				t.Fatalf("error %q does not name the object %s", err, key)
			}
			// Tampering is corruption (checkpoint loads fall back from it); a wrong KEK is
			// not: the data is intact and a misconfigured node must not refuse it.
			if errors.Is(err, storage.ErrCorrupt) != (tc.want == storage.ErrTampered) {
				t.Fatalf("errors.Is(%v, ErrCorrupt) = %t", err, errors.Is(err, storage.ErrCorrupt))
			}
			if _, err := storage.VerifyBlob(t.Context(), s, sha); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyBlob of a damaged object: %v; want %v", err, tc.want)
			}
		})
	}
	t.Run("header moved to another key", func(t *testing.T) {
		fs := newFileStore(t)
		s := newEncrypted(t, fs, storage.Encryption{KEK: kek})
		for _, k := range []string{"a/one", "a/two"} {
			if err := s.Put(t.Context(), k, bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
		}
		one, _ := os.ReadFile(rawPath(fs, "a/one"))
		if err := os.WriteFile(rawPath(fs, "a/two"), one, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readAll(t, s, "a/two")
		if !errors.Is(err, storage.ErrTampered) || !strings.Contains(err.Error(), "a/two") {
			t.Fatalf("an object copied to another key: %v; want ErrTampered naming a/two", err)
		}
	})
}

func TestEncryptedWrongOrMissingKEK(t *testing.T) {
	fs := newFileStore(t)
	right, wrong := newKEK(t), newKEK(t)
	w := newEncrypted(t, fs, storage.Encryption{KEK: right})
	if err := w.Put(t.Context(), "m/model.onnx", strings.NewReader("weights"), 7); err != nil {
		t.Fatal(err)
	}
	r := newEncrypted(t, fs, storage.Encryption{KEK: wrong})
	rc, err := r.Get(t.Context(), "m/model.onnx")
	if !errors.Is(err, storage.ErrWrongKEK) || rc != nil {
		t.Fatalf("Get under the wrong KEK = %v, %v; want no reader and ErrWrongKEK", rc, err)
	}
	for _, want := range []string{"m/model.onnx", right.ID(), wrong.ID()} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("wrong-KEK error %q does not name %s", err, want)
		}
	}
	none := newEncrypted(t, fs, storage.Encryption{})
	rc, err = none.Get(t.Context(), "m/model.onnx")
	if !errors.Is(err, storage.ErrNoKEK) || rc != nil || !strings.Contains(err.Error(), right.ID()) {
		t.Fatalf("Get with no KEK = %v, %v; want no reader and ErrNoKEK naming kek %s", rc, err, right.ID())
	}
	// Opened through storage.Open (as every binary does) without a KEK: the same.
	st, err := storage.Open(t.Context(), "file://"+fs.Root(), storage.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, st, "m/model.onnx"); !errors.Is(err, storage.ErrNoKEK) {
		t.Fatalf("storage.Open without a KEK read an encrypted object: %v", err)
	}
	// Previous is accepted for reads, never used for writes.
	both := newEncrypted(t, fs, storage.Encryption{KEK: wrong, Previous: right})
	if got, err := readAll(t, both, "m/model.onnx"); err != nil || string(got) != "weights" {
		t.Fatalf("read under the previous KEK = %q, %v", got, err)
	}
}

func TestEncryptedPlaintextPolicy(t *testing.T) {
	fs := newFileStore(t)
	if err := fs.Put(t.Context(), "old/shard", strings.NewReader("legacy plaintext"), 16); err != nil {
		t.Fatal(err)
	}
	kek := newKEK(t)
	var logs bytes.Buffer
	warn := newEncrypted(t, fs, storage.Encryption{KEK: kek, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	got, err := readAll(t, warn, "old/shard")
	if err != nil || string(got) != "legacy plaintext" {
		t.Fatalf("plaintext read under warn = %q, %v", got, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "old/shard") {
		t.Fatalf("no warning naming the key: %q", logs.String())
	}
	if info, err := warn.Stat(t.Context(), "old/shard"); err != nil || info.Size != 16 {
		t.Fatalf("Stat of a plaintext object = %+v, %v", info, err)
	}
	refuse := newEncrypted(t, fs, storage.Encryption{KEK: kek, Plaintext: storage.PlaintextRefuse})
	rc, err := refuse.Get(t.Context(), "old/shard")
	if !errors.Is(err, storage.ErrPlaintext) || rc != nil || !strings.Contains(err.Error(), "old/shard") {
		t.Fatalf("plaintext read under refuse = %v, %v; want ErrPlaintext naming the key", rc, err)
	}
	if _, err := storage.NewEncryptedStore(fs, storage.Encryption{KEK: kek, Plaintext: "maybe"}); err == nil {
		t.Fatal("an unknown plaintext policy was accepted")
	}
}

func TestEncryptedErrorsHoldNoKeyMaterial(t *testing.T) {
	right, wrong := newKEK(t), newKEK(t)
	fs := newFileStore(t)
	w := newEncrypted(t, fs, storage.Encryption{KEK: right})
	if err := w.Put(t.Context(), "k", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	_, err := readAll(t, newEncrypted(t, fs, storage.Encryption{KEK: wrong}), "k")
	for _, k := range []storage.KEK{right, wrong} {
		text := kekText(t, k)
		if strings.Contains(err.Error(), text) || strings.Contains(w.String(), text) {
			t.Fatalf("key material in %q / %q", err, w.String())
		}
	}
}

// kekText is the hex of a KEK, obtained the only way there is: through its file.
func kekText(t *testing.T, k storage.KEK) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "k")
	if err := storage.WriteKEKFile(p, k); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(string(b))
	if _, err := hex.DecodeString(text); err != nil || len(text) != 64 {
		t.Fatalf("KEK file holds %d characters, want 64 hex", len(text))
	}
	return text
}
