package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var sample = map[string]string{
	"train.py":                  "import dxtrain\nprint('hello')\n",
	"run.sh":                    "#!/bin/sh\nexec python train.py\n",
	"pkg/__init__.py":           "",
	"pkg/model.py":              "class Net: pass\n",
	"pkg/a-b.py":                "x = 1\n", // sorts before "pkg/" with '-' < '/'
	"pkg/__pycache__/model.pyc": "cache",
	"pkg/stale.pyc":             "cache",
	".git/HEAD":                 "ref: refs/heads/main\n",
	"sub/.git":                  "gitdir: ../.git/worktrees/sub\n",
	"empty/":                    "",
	"deep/ü/" + strings.Repeat("n", 120) + "/file.txt": "long and unicode path\n",
}

// skippedNames are the sample's paths Pack must leave out.
var skippedNames = []string{"pkg/__pycache__/model.pyc", "pkg/stale.pyc", ".git/HEAD", "sub/.git"}

func isExec(name string) bool { return strings.HasSuffix(name, ".sh") }

func TestPackDeterministic(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)

	a := t.TempDir()
	tree(t, a, sample, func(name string) os.FileMode {
		if isExec(name) {
			return 0o755
		}
		return 0o644
	})
	// The second copy differs in everything Pack must ignore: umask, permission
	// bits other than "executable or not", and mtimes.
	syscall.Umask(0o077)
	b := t.TempDir()
	tree(t, b, sample, func(name string) os.FileMode {
		if isExec(name) {
			return 0o700
		}
		return 0o600
	})
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	filepath.Walk(b, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, past, past) })

	dataA, shaA, err := Pack(a, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	dataB, shaB, err := Pack(b, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if shaA != shaB || !bytes.Equal(dataA, dataB) {
		t.Fatalf("same files packed to different bundles: %s (%d bytes) vs %s (%d bytes)", shaA, len(dataA), shaB, len(dataB))
	}
	again, shaAgain, err := Pack(a, 1<<20)
	if err != nil || shaAgain != shaA || !bytes.Equal(again, dataA) {
		t.Fatalf("packing the same directory twice: %s vs %s (err %v)", shaAgain, shaA, err)
	}
}

func TestPackHashFollowsContent(t *testing.T) {
	perm := func(name string) os.FileMode {
		if isExec(name) {
			return 0o755
		}
		return 0o644
	}
	base := t.TempDir()
	tree(t, base, sample, perm)
	_, want, err := Pack(base, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(dir string) error
	}{
		{"content", func(dir string) error { return os.WriteFile(filepath.Join(dir, "train.py"), []byte("changed"), 0o644) }},
		{"exec bit", func(dir string) error { return os.Chmod(filepath.Join(dir, "pkg/model.py"), 0o744) }},
		{"new empty dir", func(dir string) error { return os.Mkdir(filepath.Join(dir, "more"), 0o755) }},
		{"rename", func(dir string) error {
			return os.Rename(filepath.Join(dir, "pkg/model.py"), filepath.Join(dir, "pkg/model2.py"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tree(t, dir, sample, perm)
			if err := tc.change(dir); err != nil {
				t.Fatal(err)
			}
			_, got, err := Pack(dir, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got == want {
				t.Fatalf("changing the %s kept the hash %s", tc.name, got)
			}
		})
	}
}

func TestPackFormat(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, sample, func(name string) os.FileMode {
		if isExec(name) {
			return 0o750 // any exec bit counts
		}
		return 0o640
	})
	data, _, err := Pack(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || zr.Comment != "" || !zr.ModTime.IsZero() {
		t.Fatalf("gzip header has name %q, comment %q, mtime %v; want all empty", zr.Name, zr.Comment, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: owner %d/%d %q/%q, want 0/0 and no names", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname)
		}
		if !hdr.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("%s: mtime %v, want the Unix epoch", hdr.Name, hdr.ModTime)
		}
		want := int64(0o644)
		switch {
		case hdr.Typeflag == tar.TypeDir:
			want = 0o755
			if !strings.HasSuffix(hdr.Name, "/") {
				t.Errorf("directory %q does not end with /", hdr.Name)
			}
		case isExec(hdr.Name):
			want = 0o755
		}
		if hdr.Mode != want {
			t.Errorf("%s: mode %o, want %o", hdr.Name, hdr.Mode, want)
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("entries not sorted: %q before %q", names[i-1], names[i])
		}
	}
	joined := "\n" + strings.Join(names, "\n") + "\n"
	for _, skip := range append(skippedNames, "pkg/__pycache__/", ".git/") {
		if strings.Contains(joined, "\n"+skip+"\n") {
			t.Errorf("%s was packed; it should be skipped", skip)
		}
	}
	for _, keep := range []string{"train.py", "pkg/a-b.py", "empty/", "pkg/__init__.py"} {
		if !strings.Contains(joined, "\n"+keep+"\n") {
			t.Errorf("%s is missing from the bundle %q", keep, names)
		}
	}
}

func TestPackRefuses(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path the error must name
	}{
		{"symlink to file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "pkg", "link.py")
			if err := os.Symlink("model.py", p); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"symlink to directory", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "data")
			if err := os.Symlink("/etc", p); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"dangling symlink", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "nowhere")
			if err := os.Symlink("/does/not/exist", p); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"fifo", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "pipe")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tree(t, dir, map[string]string{"pkg/model.py": "x"}, func(string) os.FileMode { return 0o644 })
			p := tc.setup(t, dir)
			_, _, err := Pack(dir, 1<<20)
			if !errors.Is(err, ErrUnsupportedFile) {
				t.Fatalf("Pack = %v, want ErrUnsupportedFile", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error %q does not name %s", err, p)
			}
		})
	}
}

func TestPackRootSymlinkFollowed(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	tree(t, real, map[string]string{"a.py": "a"}, func(string) os.FileMode { return 0o644 })
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	_, viaLink, err := Pack(link, 100)
	if err != nil {
		t.Fatal(err)
	}
	_, direct, err := Pack(real, 100)
	if err != nil || viaLink != direct {
		t.Fatalf("root through a symlink %s, direct %s (err %v)", viaLink, direct, err)
	}
	if _, _, err := Pack(filepath.Join(real, "a.py"), 100); err == nil {
		t.Fatal("Pack of a regular file succeeded")
	}
}

func TestPackTooLarge(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"small.py":        "x",
		"weights/big.pt":  strings.Repeat("w", 600),
		"data/medium.csv": strings.Repeat("d", 300),
		"ok.pyc":          strings.Repeat("c", 5000), // skipped, so it does not count
	}, func(string) os.FileMode { return 0o644 })
	if _, _, err := Pack(dir, 901); err != nil {
		t.Fatalf("901 bytes under a cap of 901: %v", err)
	}
	_, _, err := Pack(dir, 900)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Pack = %v, want ErrTooLarge", err)
	}
	for _, want := range []string{"901 bytes", "cap of 900", "weights/big.pt (600 bytes), data/medium.csv (300 bytes), small.py (1 bytes)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	tree(t, src, sample, func(name string) os.FileMode {
		if isExec(name) {
			return 0o755
		}
		return 0o644
	})
	data, sha, err := Pack(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "code")
	if err := Unpack(bytes.NewReader(data), sha, dest, 1<<20); err != nil {
		t.Fatal(err)
	}
	want, _ := readTree(t, src)
	for _, skip := range append(skippedNames, "pkg/__pycache__/", ".git/") {
		delete(want, skip)
	}
	got, modes := readTree(t, dest)
	if len(got) != len(want) {
		t.Fatalf("unpacked %d entries, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for name, body := range want {
		if got[name] != body {
			t.Errorf("%s: got %q, want %q", name, got[name], body)
		}
	}
	if m := modes["run.sh"].Perm(); m != 0o755 {
		t.Errorf("run.sh unpacked with mode %o, want 755", m)
	}
	if m := modes["train.py"].Perm(); m != 0o644 {
		t.Errorf("train.py unpacked with mode %o, want 644", m)
	}
	again, sha2, err := Pack(dest, 1<<20)
	if err != nil || sha2 != sha || !bytes.Equal(again, data) {
		t.Fatalf("re-packing the unpacked tree gave %s, want %s (err %v)", sha2, sha, err)
	}
}
