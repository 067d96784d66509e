package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// Limits and fixed parameters of the format.
const (
	// DefaultMaxBytes is a sensible cap on a code bundle's uncompressed size. Code is
	// small; a bundle near this size has usually swept up data or weights by mistake.
	DefaultMaxBytes = 64 << 20
	// MaxEntries bounds the files and directories of one bundle, on both sides, so
	// an archive of millions of empty files cannot exhaust inodes or time.
	MaxEntries = 100_000
	// compressionLevel is fixed because the level changes the bytes and so the hash.
	compressionLevel = 6
	fileMode         = 0o644
	execMode         = 0o755
	dirMode          = 0o755
	// largestShown is how many of the biggest files a too-large error lists.
	largestShown = 5
)

// epoch is every entry's modification time, so a checkout's mtimes do not change the hash.
var epoch = time.Unix(0, 0)

// entry is one file or directory found by Pack.
type entry struct {
	name string // slash-separated path relative to the root; directories end with "/"
	path string // path on disk
	dir  bool
	mode os.FileMode
	size int64
}

// Pack packs dir into a gzip'd tar and returns the bytes and their lower-case hex
// SHA-256. It packs regular files and directories only; a symlink or any other special
// file is an error naming its path (wrapping ErrUnsupportedFile). Directories named
// __pycache__ or .git, files named .git and files ending in .pyc are skipped. When the
// files add up to more than maxBytes the error wraps ErrTooLarge and names the cap, the
// total and the largest files. dir itself may be a symlink to a directory.
//
// The output depends only on the names, contents and executable bits of the files:
// entries are sorted by path, times are the Unix epoch, owners are 0 with no names,
// files are 0644 (0755 when any execute bit is set) and directories 0755.
func Pack(dir string, maxBytes int64) (data []byte, sha256hex string, err error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, "", fmt.Errorf("pack %s: %w", dir, err)
	}
	if fi, err := os.Stat(root); err != nil {
		return nil, "", fmt.Errorf("pack %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, "", fmt.Errorf("pack %s: not a directory", dir)
	}
	entries, err := collect(root)
	if err != nil {
		return nil, "", fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := checkSize(entries, maxBytes); err != nil {
		return nil, "", fmt.Errorf("pack %s: %w", dir, err)
	}
	var buf bytes.Buffer
	if err := write(&buf, entries); err != nil {
		return nil, "", fmt.Errorf("pack %s: %w", dir, err)
	}
	return buf.Bytes(), storage.Digest(buf.Bytes()), nil
}

// skipped reports whether Pack leaves out a file or directory of this name: caches and
// version-control data that differ between checkouts of the same code.
func skipped(name string, dir bool) bool {
	switch {
	case name == ".git":
		return true
	case dir:
		return name == "__pycache__"
	default:
		return strings.HasSuffix(name, ".pyc")
	}
}

// collect walks root and returns its entries sorted by name.
func collect(root string) ([]entry, error) {
	var entries []entry
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		if skipped(d.Name(), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch t := d.Type(); {
		case t.IsDir():
			entries = append(entries, entry{name: name + "/", path: path, dir: true, mode: dirMode})
		case t.IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			mode := os.FileMode(fileMode)
			if fi.Mode().Perm()&0o111 != 0 {
				mode = execMode
			}
			entries = append(entries, entry{name: name, path: path, mode: mode, size: fi.Size()})
		case t&fs.ModeSymlink != 0:
			return fmt.Errorf("%s: %w: symlinks are not packed (copy the target into the directory instead)", path, ErrUnsupportedFile)
		default:
			return fmt.Errorf("%s: %w: %v", path, ErrUnsupportedFile, t)
		}
		if len(entries) > MaxEntries {
			return fmt.Errorf("%w: more than %d files and directories", ErrTooLarge, MaxEntries)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return entries, nil
}

// checkSize refuses entries whose files add up to more than maxBytes, naming the
// largest files so the researcher sees at once what to leave out.
func checkSize(entries []entry, maxBytes int64) error {
	var total int64
	for _, e := range entries {
		total += e.size
	}
	if total <= maxBytes {
		return nil
	}
	files := make([]entry, 0, len(entries))
	for _, e := range entries {
		if !e.dir {
			files = append(files, e)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].size > files[j].size })
	var largest []string
	for _, f := range files[:min(largestShown, len(files))] {
		largest = append(largest, fmt.Sprintf("%s (%d bytes)", f.name, f.size))
	}
	return fmt.Errorf("%w: files add up to %d bytes, over the cap of %d; largest: %s",
		ErrTooLarge, total, maxBytes, strings.Join(largest, ", "))
}

// write writes entries as a gzip'd tar with every varying header field fixed.
func write(w io.Writer, entries []entry) error {
	zw, err := gzip.NewWriterLevel(w, compressionLevel)
	if err != nil {
		return err
	}
	// The zero gzip.Header writes no name, no comment and a zero mtime.
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeEntry(tw *tar.Writer, e entry) error {
	hdr := &tar.Header{
		Name:    e.name,
		Mode:    int64(e.mode),
		ModTime: epoch,
		// Format is left to the writer: USTAR when the name fits, PAX otherwise; the
		// choice depends only on the name, so it is deterministic.
	}
	if e.dir {
		hdr.Typeflag = tar.TypeDir
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag = tar.TypeReg
	hdr.Size = e.size
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", e.path, err)
	}
	// Copy exactly the size walked; a file that changes while being packed is an
	// error rather than a bundle that matches no state of the directory.
	n, err := io.Copy(tw, io.LimitReader(f, e.size))
	if err != nil {
		return fmt.Errorf("%s: %w", e.path, err)
	}
	if n != e.size {
		return fmt.Errorf("%s: shrank from %d to %d bytes while being packed", e.path, e.size, n)
	}
	var probe [1]byte
	if m, _ := f.Read(probe[:]); m > 0 {
		return fmt.Errorf("%s: grew past %d bytes while being packed", e.path, e.size)
	}
	return nil
}
