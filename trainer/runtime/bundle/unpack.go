package bundle

import (
	"archive/tar"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dxtrain/dxtrain/storage"
)

// headerAllowance is the decompressed bytes an archive may spend per entry on tar
// headers, PAX records and padding, beyond the files' own bytes. The decompressed
// stream may only run that far ahead of what has been extracted, so a small, highly
// compressed input costs work in proportion to what it really holds.
const headerAllowance = 8 << 10

// Unpack reads a gzip'd tar from r, written by Pack, into a new directory dest. It
// hashes the bytes as it reads them and succeeds only when they hash to wantSHA; on any
// error dest does not exist afterwards. It refuses (wrapping ErrUnsafeEntry) absolute
// paths, "..", non-canonical names, symlinks, hard links, devices and duplicate entries,
// and (wrapping ErrTooLarge) archives whose files add up to more than maxBytes or hold
// more than MaxEntries entries. dest must not exist (ErrDestExists); its parent must.
//
// The archive is unpacked into a hidden sibling of dest and renamed into place once the
// hash has been checked, so dest appears whole or not at all.
func Unpack(r io.Reader, wantSHA string, dest string, maxBytes int64) error {
	if err := storage.ValidateDigest(wantSHA); err != nil {
		return fmt.Errorf("unpack bundle: %w", err)
	}
	if maxBytes < 0 {
		return fmt.Errorf("unpack bundle %s: negative cap %d", wantSHA, maxBytes)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("unpack bundle %s into %s: %w", wantSHA, dest, ErrDestExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unpack bundle %s into %s: %w", wantSHA, dest, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".unpack-")
	if err != nil {
		return fmt.Errorf("unpack bundle %s: %w", wantSHA, err)
	}
	if err := unpackInto(r, wantSHA, tmp, limits{maxBytes: maxBytes, maxEntries: MaxEntries}); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack bundle %s into %s: %w", wantSHA, dest, err)
	}
	if err := os.Chmod(tmp, dirMode); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack bundle %s into %s: %w", wantSHA, dest, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack bundle %s into %s: %w", wantSHA, dest, err)
	}
	return nil
}

// limits are the caps of one Unpack.
type limits struct {
	maxBytes   int64 // file bytes written
	maxEntries int   // files and directories
}

// unpackInto extracts the archive into the empty directory root and checks the hash of
// everything read from r, including whatever follows the end of the tar.
func unpackInto(r io.Reader, wantSHA, root string, lim limits) error {
	h := sha256.New()
	hashed := io.TeeReader(r, h)
	zr, err := gzip.NewReader(hashed)
	if err != nil {
		if isMalformed(err) || err == io.EOF {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return err
	}
	// Bound the decompressed stream, not only the declared sizes, so a bomb of
	// padding or headers stops early too.
	stream := &budgetReader{r: zr, left: headerAllowance}
	x := extractor{root: root, limits: lim, stream: stream, seen: make(map[string]bool)}
	tr := tar.NewReader(stream)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError(err)
		}
		if err := x.add(hdr, tr); err != nil {
			return readError(err)
		}
	}
	// Read the rest (the tar's end blocks, the gzip trailer with its CRC) so the hash
	// covers every byte and a corrupt trailer is caught.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return readError(err)
	}
	if _, err := io.Copy(io.Discard, hashed); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		return fmt.Errorf("%w: content hashes to %s", ErrHashMismatch, got)
	}
	return nil
}

// extractor writes the entries of one archive under root.
type extractor struct {
	root    string
	limits  limits
	stream  *budgetReader
	written int64 // file bytes declared so far
	entries int
	seen    map[string]bool // cleaned names already extracted
}

// budgetReader reads from r until left runs out, then fails with ErrTooLarge. The
// extractor adds to left for every entry it accepts.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w: the archive decompresses to more than its entries account for", ErrTooLarge)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// readError marks a read failure as ErrMalformed when it says the bytes are not a
// valid archive.
func readError(err error) error {
	if isMalformed(err) && !errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}

// isMalformed reports whether a read error says the bytes are not a valid gzip'd tar,
// as opposed to a failure of the reader underneath or of the disk.
func isMalformed(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, tar.ErrFieldTooLong) || errors.As(err, &corrupt)
}

// add checks one entry and writes it.
func (x *extractor) add(hdr *tar.Header, r io.Reader) error {
	x.entries++
	if x.entries > x.limits.maxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrTooLarge, x.limits.maxEntries)
	}
	name, err := entryName(hdr)
	if err != nil {
		return err
	}
	if x.seen[name] {
		return fmt.Errorf("%w: %q appears twice", ErrUnsafeEntry, hdr.Name)
	}
	x.seen[name] = true
	x.stream.left += headerAllowance
	target := filepath.Join(x.root, filepath.FromSlash(name))
	if hdr.Typeflag == tar.TypeDir {
		if err := os.MkdirAll(target, dirMode); err != nil {
			return err
		}
		return os.Chmod(target, dirMode)
	}
	if hdr.Size > x.limits.maxBytes-x.written {
		return fmt.Errorf("%w: %q (%d bytes) takes the files past the cap of %d bytes",
			ErrTooLarge, hdr.Name, hdr.Size, x.limits.maxBytes)
	}
	x.written += hdr.Size
	x.stream.left += hdr.Size
	return writeFile(target, hdr, r)
}

// entryName validates an entry's type and name and returns the name cleaned of a
// directory's trailing slash.
func entryName(hdr *tar.Header) (string, error) {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	default:
		return "", fmt.Errorf("%w: %q has type %q; only regular files and directories are allowed",
			ErrUnsafeEntry, hdr.Name, hdr.Typeflag)
	}
	name := hdr.Name
	if hdr.Typeflag == tar.TypeDir {
		name = strings.TrimSuffix(name, "/")
	}
	switch {
	case name == "" || name == "." || strings.ContainsRune(name, 0):
		return "", fmt.Errorf("%w: empty name, a bare dot or a NUL byte in %q", ErrUnsafeEntry, hdr.Name)
	case path.IsAbs(name) || !filepath.IsLocal(name):
		return "", fmt.Errorf("%w: %q is not a local path", ErrUnsafeEntry, hdr.Name)
	case path.Clean(name) != name:
		return "", fmt.Errorf("%w: %q is not a clean path", ErrUnsafeEntry, hdr.Name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return "", fmt.Errorf("%w: %q contains \"..\"", ErrUnsafeEntry, hdr.Name)
		}
	}
	return name, nil
}

// writeFile creates a new regular file at target with the bundle's normalised mode.
// O_EXCL means it never writes through anything that already exists there.
func writeFile(target string, hdr *tar.Header, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(target), dirMode); err != nil {
		return err
	}
	mode := os.FileMode(fileMode)
	if hdr.Mode&0o111 != 0 {
		mode = execMode
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return fmt.Errorf("%w: %q is %d bytes, header says %d", ErrMalformed, hdr.Name, n, hdr.Size)
	}
	return os.Chmod(target, mode)
}
