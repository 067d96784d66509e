package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

func TestUnpackRefuses(t *testing.T) {
	reg := func(name, body string) tarEntry { return tarEntry{name: name, typeflag: tar.TypeReg, body: body} }
	dir := func(name string) tarEntry { return tarEntry{name: name, typeflag: tar.TypeDir, mode: 0o755} }
	cases := []struct {
		name    string
		entries []tarEntry
		lim     limits
		want    error
	}{
		{"absolute path", []tarEntry{reg("/etc/evil", "x")}, limits{}, ErrUnsafeEntry},
		{"dot dot", []tarEntry{reg("../evil", "x")}, limits{}, ErrUnsafeEntry},
		{"dot dot inside", []tarEntry{reg("a/../../evil", "x")}, limits{}, ErrUnsafeEntry},
		{"unclean", []tarEntry{reg("a/../b", "x")}, limits{}, ErrUnsafeEntry},
		{"dot slash", []tarEntry{reg("./a", "x")}, limits{}, ErrUnsafeEntry},
		{"double slash", []tarEntry{reg("a//b", "x")}, limits{}, ErrUnsafeEntry},
		{"dot", []tarEntry{dir("./")}, limits{}, ErrUnsafeEntry},
		{"symlink", []tarEntry{{name: "link", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"}}, limits{}, ErrUnsafeEntry},
		{"symlink then write through it", []tarEntry{
			{name: "d", typeflag: tar.TypeSymlink, linkname: "/tmp"}, reg("d/evil", "x"),
		}, limits{}, ErrUnsafeEntry},
		{"hard link", []tarEntry{reg("a", "x"), {name: "b", typeflag: tar.TypeLink, linkname: "a"}}, limits{}, ErrUnsafeEntry},
		{"char device", []tarEntry{{name: "null", typeflag: tar.TypeChar}}, limits{}, ErrUnsafeEntry},
		{"fifo", []tarEntry{{name: "pipe", typeflag: tar.TypeFifo}}, limits{}, ErrUnsafeEntry},
		{"duplicate file", []tarEntry{reg("a.py", "one"), reg("a.py", "two")}, limits{}, ErrUnsafeEntry},
		{"duplicate dir", []tarEntry{dir("pkg/"), dir("pkg/")}, limits{}, ErrUnsafeEntry},
		{"file then dir of the same name", []tarEntry{reg("pkg", "x"), dir("pkg/")}, limits{}, ErrUnsafeEntry},
		{"file over the cap", []tarEntry{reg("big", strings.Repeat("b", 101))}, limits{maxBytes: 100, maxEntries: 10}, ErrTooLarge},
		{"files add up over the cap", []tarEntry{reg("a", strings.Repeat("a", 60)), reg("b", strings.Repeat("b", 60))}, limits{maxBytes: 100, maxEntries: 10}, ErrTooLarge},
		{"declared size bomb", []tarEntry{{name: "zeros", typeflag: tar.TypeReg, size: 8 << 20}}, limits{maxBytes: 1 << 20, maxEntries: 10}, ErrTooLarge},
		{"too many entries", []tarEntry{dir("a/"), dir("b/"), dir("c/")}, limits{maxBytes: 100, maxEntries: 2}, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := makeArchive(t, tc.entries...)
			lim := tc.lim
			if lim == (limits{}) {
				lim = limits{maxBytes: 1 << 20, maxEntries: MaxEntries}
			}
			root := t.TempDir()
			err := unpackInto(bytes.NewReader(data), storage.Digest(data), root, lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("unpack = %v, want %v", err, tc.want)
			}
			if _, err := os.Lstat("/tmp/evil"); err == nil && tc.name == "symlink then write through it" {
				t.Fatal("a file was written through a symlink")
			}
			// The public entry point leaves nothing behind for the same input.
			dest := filepath.Join(t.TempDir(), "code")
			if lim.maxEntries == MaxEntries {
				if err := Unpack(bytes.NewReader(data), storage.Digest(data), dest, lim.maxBytes); !errors.Is(err, tc.want) {
					t.Fatalf("Unpack = %v, want %v", err, tc.want)
				}
				assertAbsent(t, dest)
			}
		})
	}
}

func TestUnpackStreamBomb(t *testing.T) {
	// A tiny valid archive followed, inside the same gzip stream, by a long run of
	// zeros: no entry is over the cap, but the decompressed stream is.
	var tarBytes bytes.Buffer
	tw := tar.NewWriter(&tarBytes)
	tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("a"))
	tw.Close()
	payload := append(tarBytes.Bytes(), make([]byte, 8<<20)...)
	data := gzipBytes(t, payload)
	lim := limits{maxBytes: 1 << 10, maxEntries: 4}
	err := unpackInto(bytes.NewReader(data), storage.Digest(data), t.TempDir(), lim)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("unpack = %v, want ErrTooLarge", err)
	}
	// The same archive with the trailer within the limit is fine.
	small := gzipBytes(t, append(tarBytes.Bytes(), make([]byte, 1024)...))
	if err := unpackInto(bytes.NewReader(small), storage.Digest(small), t.TempDir(), lim); err != nil {
		t.Fatalf("unpack with a short trailer: %v", err)
	}
}

func TestUnpackHashMismatch(t *testing.T) {
	src := t.TempDir()
	tree(t, src, map[string]string{"a.py": "a", "pkg/b.py": "b"}, func(string) os.FileMode { return 0o644 })
	data, sha, err := Pack(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	other := storage.Digest([]byte("something else"))
	dest := filepath.Join(t.TempDir(), "code")
	err = Unpack(bytes.NewReader(data), other, dest, 1<<20)
	if !errors.Is(err, ErrHashMismatch) || !strings.Contains(err.Error(), sha) {
		t.Fatalf("Unpack with the wrong hash = %v, want ErrHashMismatch naming %s", err, sha)
	}
	assertAbsent(t, dest)
}

func TestUnpackMalformed(t *testing.T) {
	src := t.TempDir()
	tree(t, src, map[string]string{"a.py": strings.Repeat("a", 3000)}, func(string) os.FileMode { return 0o644 })
	data, _, err := Pack(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)-6] ^= 0xff // inside the CRC-32 of the trailer
	cases := map[string][]byte{
		"empty":            {},
		"not gzip":         []byte("PK\x03\x04 a zip file"),
		"truncated":        data[:len(data)/2],
		"trailing garbage": append(bytes.Clone(data), "garbage"...),
		"bad crc":          flipped,
		"gzip of non-tar":  gzipBytes(t, []byte(strings.Repeat("not a tar header ", 64))),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "code")
			err := Unpack(bytes.NewReader(in), storage.Digest(in), dest, 1<<20)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Unpack = %v, want ErrMalformed", err)
			}
			assertAbsent(t, dest)
		})
	}
}

func TestUnpackDest(t *testing.T) {
	src := t.TempDir()
	tree(t, src, map[string]string{"a.py": "a"}, func(string) os.FileMode { return 0o644 })
	data, sha, err := Pack(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	dest := filepath.Join(parent, "code")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Unpack(bytes.NewReader(data), sha, dest, 1<<20); !errors.Is(err, ErrDestExists) {
		t.Fatalf("Unpack into an existing directory = %v, want ErrDestExists", err)
	}
	if err := Unpack(bytes.NewReader(data), "not-a-digest", filepath.Join(parent, "x"), 1<<20); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Unpack with a bad digest = %v, want storage.ErrInvalidKey", err)
	}
	if err := Unpack(bytes.NewReader(data), sha, filepath.Join(parent, "missing", "code"), 1<<20); err == nil {
		t.Fatal("Unpack under a missing parent succeeded")
	}
	fresh := filepath.Join(parent, "fresh")
	if err := Unpack(bytes.NewReader(data), sha, fresh, 1<<20); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("dest mode: %v (err %v), want 755", fi.Mode(), err)
	}
}
