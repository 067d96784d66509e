package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// errNotDir is what opening "a/b" gives when "a" is a file: for a store, a missing key.
var errNotDir error = syscall.ENOTDIR

// FileStore is the local-directory backend: each key is a file under Root. Writes go to
// a temporary file beside the target, are fsynced, renamed over it and the directory is
// fsynced, so a reader (or a restart after a crash) sees the old object or the new one,
// never a partial file. Temporary files start with TempPrefix and never appear in List.
//
// A key cannot be both an object and a directory ("a" and "a/b"): S3 allows that, local
// disks do not, and Put reports the conflict.
type FileStore struct {
	root string
}

var _ Store = (*FileStore)(nil)

// NewFileStore opens (creating if missing) the directory root as a store.
func NewFileStore(root string) (*FileStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("file store %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("file store %q: create root: %w", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("file store %q: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("file store %q: root is not a directory", abs)
	}
	return &FileStore{root: abs}, nil
}

// Root is the store's absolute directory.
func (s *FileStore) Root() string { return s.root }

// String names the store (for logs).
func (s *FileStore) String() string { return "file://" + filepath.ToSlash(s.root) }

func (s *FileStore) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Put writes the object atomically (temp file, fsync, rename, fsync of the directory).
// With size ≥ 0 the reader must yield exactly size bytes, or nothing is written.
func (s *FileStore) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("file store: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file store: put %q: %w", key, err)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("file store: put %q: %w", key, err)
		}
	}()
	target := s.path(key)
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	f, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	src := io.Reader(ctxReader{ctx: ctx, r: r})
	if size >= 0 {
		src = io.LimitReader(src, size+1) // one extra byte detects an over-long reader
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return fmt.Errorf("write after %d bytes: %w", n, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("reader gave %d bytes, declared size is %d", n, size)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod temporary file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if fi, err := os.Lstat(target); err == nil && fi.IsDir() {
		return errors.New("a directory of other objects exists at this key")
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return err
	}
	return nil
}

// Get opens the object's file for streaming.
func (s *FileStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("file store: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("file store: get %q: %w", key, err)
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, s.openError("get", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file store: get %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("file store: get %q: %w", key, ErrNotFound)
	}
	return f, nil
}

// Stat reports the object's size and modification time.
func (s *FileStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("file store: stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, fmt.Errorf("file store: stat %q: %w", key, err)
	}
	fi, err := os.Stat(s.path(key))
	if err != nil {
		return ObjectInfo{}, s.openError("stat", key, err)
	}
	if !fi.Mode().IsRegular() {
		return ObjectInfo{}, fmt.Errorf("file store: stat %q: %w", key, ErrNotFound)
	}
	return ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

func (s *FileStore) openError(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
		return fmt.Errorf("file store: %s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("file store: %s %q: %w", op, key, err)
}

// List walks only the directory the prefix points into and returns the matching
// objects sorted by key (byte order, as S3 lists).
func (s *FileStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("file store: list: %w", err)
	}
	start := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = s.path(prefix[:i])
	}
	var out []ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
				return nil // vanished under a concurrent Delete, or the prefix names a file
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if p == start || strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
				return nil
			}
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), TempPrefix) || !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("file store: list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object's file; empty directories are left for later Puts.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("file store: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file store: delete %q: %w", key, err)
	}
	p := s.path(key)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) || (err == nil && fi.IsDir()) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("file store: delete %q: %w", key, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file store: delete %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("file store: delete %q: %w", key, err)
	}
	return nil
}

// SweepTemp removes temporary files older than olderThan, left by writers that crashed
// between create and rename, and returns how many it removed.
func (s *FileStore) SweepTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), TempPrefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("file store: sweep temporary files: %w", err)
	}
	return removed, nil
}

// syncDir fsyncs a directory so a rename or removal in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory: %w", err)
	}
	return nil
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
