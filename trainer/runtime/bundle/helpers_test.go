package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// tree writes files (slash paths → contents) under dir with the given permissions.
// A path ending in "/" is an empty directory.
func tree(t *testing.T, dir string, files map[string]string, perm func(name string) os.FileMode) {
	t.Helper()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if name[len(name)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[name]), perm(name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm(name)); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every file under dir as slash path → contents, directories as
// "path/" → "", and the mode of each.
func readTree(t *testing.T, dir string) (map[string]string, map[string]os.FileMode) {
	t.Helper()
	files := map[string]string{}
	modes := map[string]os.FileMode{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(rel)
		switch {
		case fi.IsDir():
			name += "/"
			files[name] = ""
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[name] = string(b)
		default:
			t.Errorf("%s: unexpected file type %v", p, fi.Mode())
		}
		modes[name] = fi.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, modes
}

// tarEntry is one entry of a hand-made archive.
type tarEntry struct {
	name     string
	typeflag byte
	body     string
	size     int64 // declared size when body is empty and size > 0 (zeros are written)
	mode     int64
	linkname string
}

// makeArchive writes entries as a gzip'd tar without any of Pack's checks, to build
// the hostile inputs Unpack must refuse.
func makeArchive(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: mode, Linkname: e.linkname, ModTime: time.Unix(0, 0)}
		if e.typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
			if e.body == "" {
				hdr.Size = e.size
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write header %q: %v", e.name, err)
		}
		if e.body != "" {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		} else if hdr.Size > 0 {
			if _, err := io.CopyN(tw, zeros{}, hdr.Size); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// assertAbsent fails unless dest does not exist and its parent holds nothing but keep.
func assertAbsent(t *testing.T, dest string, keep ...string) {
	t.Helper()
	if _, err := os.Lstat(dest); !os.IsNotExist(err) {
		t.Fatalf("%s exists after a failed unpack (Lstat: %v)", dest, err)
	}
	ents, err := os.ReadDir(filepath.Dir(dest))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, k := range keep {
		allowed[k] = true
	}
	for _, e := range ents {
		if !allowed[e.Name()] {
			t.Fatalf("failed unpack left %s in %s", e.Name(), filepath.Dir(dest))
		}
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
