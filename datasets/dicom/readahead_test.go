package dicom

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReadDirParallelOrder reads a tree of many files, some not DICOM, some
// without pixels and two malformed, on more workers than files fit in the
// window, and checks that the outcome is the sequential one: fn sees every
// good file before the first malformed one, in path order, once, with the
// hash of its bytes; the error names that first malformed file; the counts
// cover the files before it.
func TestReadDirParallelOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i := range 60 {
		name := fmt.Sprintf("f%03d.dcm", i)
		switch {
		case i == 41 || i == 50:
			write(name, build(explicitLE, image8(15)...)) // pixel data too short
		case i%7 == 3:
			write(name, []byte("not dicom"))
		case i%11 == 5:
			write(name, build(explicitLE, el(0x0010, 0x0010, "PN", secretName)))
		default:
			// Each file differs, so that a hash or instance handed to the
			// wrong file shows.
			data := build(explicitLE, append(image8(16), el(0x0020, 0x0013, "IS", fmt.Sprint(i)))...)
			write(name, data)
			if i < 41 {
				want = append(want, name)
			}
		}
	}
	for run := range 5 {
		var got []string
		st, err := ReadDir(dir, Options{Key: testKey}, func(in *Instance) error {
			data, err := os.ReadFile(filepath.Join(dir, in.Path))
			if err != nil {
				return err
			}
			if in.SHA256 != sha256.Sum256(data) {
				t.Errorf("%s: SHA256 is not the hash of the file", in.Path)
			}
			got = append(got, in.Path)
			return nil
		})
		if !errors.Is(err, ErrPixelLength) || !strings.Contains(err.Error(), "f041.dcm") {
			t.Fatalf("run %d: %v, want the pixel length error of f041.dcm", run, err)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("run %d: fn saw %q, want %q", run, got, want)
		}
		if st.Files != len(want) || st.Skipped != 6 || st.NoImage != 3 {
			t.Fatalf("run %d: stats %+v, want %d files, 6 skipped, 3 without image", run, st, len(want))
		}
	}
}
