package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// FuzzUnpack feeds arbitrary bytes to Unpack under their own hash, so the fuzzer
// explores the gzip and tar parsing rather than the hash check. Whatever the input,
// Unpack must not panic, must leave nothing on error, and on success must have written
// only regular files and directories within the cap.
func FuzzUnpack(f *testing.F) {
	src := f.TempDir()
	for name, body := range map[string]string{"train.py": "print(1)\n", "pkg/m.py": "m", "run.sh": "#!/bin/sh\n"} {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	packed, _, err := Pack(src, 1<<20)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(packed)
	f.Add(makeArchive(f, tarEntry{name: "../x", typeflag: tar.TypeReg, body: "x"}))
	f.Add(makeArchive(f, tarEntry{name: "l", typeflag: tar.TypeSymlink, linkname: "/"}, tarEntry{name: "l/x", typeflag: tar.TypeReg, body: "x"}))
	f.Add(makeArchive(f, tarEntry{name: "a", typeflag: tar.TypeReg, body: "1"}, tarEntry{name: "a", typeflag: tar.TypeReg, body: "2"}))
	f.Add(makeArchive(f, tarEntry{name: strings.Repeat("d/", 20) + "f", typeflag: tar.TypeReg, body: "deep"}))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})

	const maxBytes = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		dest := filepath.Join(t.TempDir(), "code")
		err := Unpack(bytes.NewReader(data), storage.Digest(data), dest, maxBytes)
		if err != nil {
			assertAbsent(t, dest)
			return
		}
		var total int64
		walkErr := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if fi.Mode().Perm() != dirMode {
					t.Errorf("%s: directory mode %v", p, fi.Mode())
				}
			case fi.Mode().IsRegular():
				total += fi.Size()
				if m := fi.Mode().Perm(); m != fileMode && m != execMode {
					t.Errorf("%s: file mode %v", p, fi.Mode())
				}
			default:
				t.Errorf("%s: unpacked a %v", p, fi.Mode().Type())
			}
			return nil
		})
		if walkErr != nil {
			t.Fatal(walkErr)
		}
		if total > maxBytes {
			t.Fatalf("unpacked %d bytes over the cap of %d", total, maxBytes)
		}
		// A wrong hash for the same bytes is always refused.
		other := filepath.Join(t.TempDir(), "code")
		if err := Unpack(bytes.NewReader(data), storage.Digest(append(data, 0)), other, maxBytes); !errors.Is(err, ErrHashMismatch) {
			t.Fatalf("accepted the bytes under a wrong hash: %v", err)
		}
		assertAbsent(t, other)
	})
}
