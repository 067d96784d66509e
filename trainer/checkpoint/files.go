package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// ErrTooLarge is returned for a torch checkpoint over the agent's size limit.
var ErrTooLarge = errors.New("checkpoint too large")

// MaxCheckpointFiles bounds how many files one torch checkpoint may hold.
const MaxCheckpointFiles = 10_000

// FilesState is a torch run's checkpoint as its rank 0 handed it over: every regular
// file under Dir, plus what the manifest records about the run.
type FilesState struct {
	Experiment  string
	Step        int64
	Parent      string // manifest SHA-256 of the checkpoint this one continued from
	WorldSize   int
	Threads     int // each rank's intra-op threads (OMP_NUM_THREADS)
	Metrics     map[string]float64
	DatasetHash string
	SpecHash    string
	CodeVersion string
	CodeBundle  string
	Seed        uint64
	Dir         string
	// MaxBytes caps the checkpoint's total size (0: no cap).
	MaxBytes int64
}

// SaveFiles uploads every file under st.Dir as a content-addressed blob, reads each
// back to check its hash, then uploads the manifest naming them. Nothing is committed
// here: the caller commits the returned manifest SHA-256 to the ledger.
func SaveFiles(ctx context.Context, store storage.Store, st *FilesState, now time.Time) (*Manifest, string, error) {
	files, total, err := listFiles(st.Dir)
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s step %d: %w", st.Experiment, st.Step, err)
	}
	if st.MaxBytes > 0 && total > st.MaxBytes {
		return nil, "", fmt.Errorf("checkpoint %s step %d: %w: %d bytes in %d files, the limit is %d bytes",
			st.Experiment, st.Step, ErrTooLarge, total, len(files), st.MaxBytes)
	}
	m := &Manifest{
		FormatVersion: FormatVersion, Runtime: RuntimeTorch, Experiment: st.Experiment,
		Cursor: Cursor{Step: st.Step}, Parent: st.Parent, RNG: RNG{Algorithm: "script", Seed: st.Seed},
		Metrics: maps.Clone(st.Metrics), WorldSize: st.WorldSize, Threads: st.Threads, DatasetHash: st.DatasetHash,
		SpecHash: st.SpecHash, CodeVersion: st.CodeVersion, CodeBundle: st.CodeBundle, Created: now.UTC(),
	}
	for _, rel := range files {
		b, err := putFileVerified(ctx, store, filepath.Join(st.Dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, "", fmt.Errorf("checkpoint %s step %d: file %s: %w", st.Experiment, st.Step, rel, err)
		}
		b.Name = rel
		m.Blobs = append(m.Blobs, b)
	}
	data, err := m.Encode()
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s step %d: encode manifest: %w", st.Experiment, st.Step, err)
	}
	sha, err := storage.PutBlob(ctx, store, data)
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint %s step %d: upload manifest: %w", st.Experiment, st.Step, err)
	}
	return m, sha, nil
}

// listFiles returns the regular files under dir as sorted slash paths, and their total
// size. Anything else (a symlink, a device, a socket) is refused by name: a checkpoint
// holds the script's bytes, never a pointer elsewhere on the node.
func listFiles(dir string) ([]string, int64, error) {
	var files []string
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (%s)", filepath.ToSlash(rel), d.Type())
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		total += info.Size()
		if len(files) > MaxCheckpointFiles {
			return fmt.Errorf("more than %d files", MaxCheckpointFiles)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("%s holds no files", dir)
	}
	slices.Sort(files)
	return files, total, nil
}

// putFileVerified uploads one file as a blob (always afresh, see freshUploads) and
// reads it back to check its hash.
func putFileVerified(ctx context.Context, store storage.Store, file string) (Blob, error) {
	f, err := os.Open(file)
	if err != nil {
		return Blob{}, err
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return Blob{}, fmt.Errorf("hash: %w", err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Blob{}, err
	}
	if err := store.Put(ctx, storage.BlobKey(sha), f, size); err != nil {
		return Blob{}, fmt.Errorf("upload blob %s: %w", sha, err)
	}
	if _, err := storage.VerifyBlob(ctx, store, sha); err != nil {
		return Blob{}, fmt.Errorf("verify after upload: %w", err)
	}
	return Blob{SHA256: sha, Size: size}, nil
}

// validateFileBlobs checks a torch manifest's blob list: at least one, each a clean
// relative slash path named once, with a valid digest.
func validateFileBlobs(blobs []Blob) error {
	if len(blobs) == 0 || len(blobs) > MaxCheckpointFiles {
		return fmt.Errorf("%d files, want 1 to %d", len(blobs), MaxCheckpointFiles)
	}
	seen := map[string]bool{}
	for _, b := range blobs {
		n := b.Name
		if n == "" || path.IsAbs(n) || path.Clean(n) != n || n == ".." || strings.HasPrefix(n, "../") || strings.ContainsAny(n, "\\\x00") {
			return fmt.Errorf("file name %q is not a clean relative path", n)
		}
		if seen[n] {
			return fmt.Errorf("file %q is listed twice", n)
		}
		seen[n] = true
		if err := storage.ValidateDigest(b.SHA256); err != nil {
			return fmt.Errorf("file %s: %v", n, err)
		}
		if b.Size < 0 {
			return fmt.Errorf("file %s: negative size", n)
		}
	}
	return nil
}

// LoadFiles fetches a torch checkpoint into dest (created; it must not exist), every
// file checked against its SHA-256 before it is written, so a resume never sees a
// corrupt file. On error dest is removed.
func LoadFiles(ctx context.Context, store storage.Store, manifestSHA, dest string) (m *Manifest, err error) {
	m, err = LoadManifest(ctx, store, manifestSHA)
	if err != nil {
		return nil, err
	}
	if !m.IsTorch() {
		return nil, fmt.Errorf("load checkpoint %s: %w: a native checkpoint, not a torch one", manifestSHA, ErrMalformed)
	}
	if err := os.Mkdir(dest, 0o700); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", manifestSHA, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dest)
		}
	}()
	for _, b := range m.Blobs {
		data, err := storage.GetBlob(ctx, store, b.SHA256)
		if err != nil {
			return nil, fmt.Errorf("load checkpoint %s: file %s: %w", manifestSHA, b.Name, err)
		}
		p := filepath.Join(dest, filepath.FromSlash(b.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, fmt.Errorf("load checkpoint %s: %w", manifestSHA, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, fmt.Errorf("load checkpoint %s: file %s: %w", manifestSHA, b.Name, err)
		}
	}
	return m, nil
}

// Verify re-hashes every blob a checkpoint's manifest names (and the manifest), for
// either runtime; a native checkpoint is also decoded.
func Verify(ctx context.Context, store storage.Store, manifestSHA string) (*Manifest, error) {
	m, err := LoadManifest(ctx, store, manifestSHA)
	if err != nil {
		return nil, err
	}
	if !m.IsTorch() {
		l, err := Load(ctx, store, manifestSHA)
		if err != nil {
			return nil, err
		}
		return l.Manifest, nil
	}
	for _, b := range m.Blobs {
		if _, err := storage.VerifyBlob(ctx, store, b.SHA256); err != nil {
			return nil, fmt.Errorf("verify checkpoint %s: file %s: %w", manifestSHA, b.Name, err)
		}
	}
	return m, nil
}
