package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// blobPrefix is where content-addressed blobs live: blobs/sha256/<first two hex>/<hex>.
// The two-character fan-out keeps local directories small.
const blobPrefix = "blobs/sha256/"

// ValidateDigest reports whether sha is a SHA-256 digest in lower-case hex (64 characters).
func ValidateDigest(sha string) error {
	if len(sha) != sha256.Size*2 {
		return fmt.Errorf("blob digest %q: %w: want %d lower-case hex characters, got %d",
			sha, ErrInvalidKey, sha256.Size*2, len(sha))
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("blob digest %q: %w: byte %d is not lower-case hex", sha, ErrInvalidKey, i)
		}
	}
	return nil
}

// BlobKey is the object key of the blob with SHA-256 digest sha
// ("blobs/sha256/ab/ab12…"). It returns "" (which no Store accepts) when sha is not a
// valid digest, so a bad digest can never name some other object.
func BlobKey(sha string) string {
	if ValidateDigest(sha) != nil {
		return ""
	}
	return blobPrefix + sha[:2] + "/" + sha
}

// Digest returns the lower-case hex SHA-256 of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// PutBlob stores data under its SHA-256 and returns the digest. When an object of the
// same key and size already exists the upload is skipped: blobs are immutable, so equal
// size under an equal hash is the same content (VerifyBlob checks it byte for byte).
func PutBlob(ctx context.Context, s Store, data []byte) (string, error) {
	sha := Digest(data)
	key := BlobKey(sha)
	info, err := s.Stat(ctx, key)
	switch {
	case err == nil && info.Size == int64(len(data)):
		return sha, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return "", fmt.Errorf("put blob %s: %w", sha, err)
	}
	return sha, nil
}

// PutBlobVerified is PutBlob, then VerifyBlob: what a commit will name must be read
// back intact from the store first.
func PutBlobVerified(ctx context.Context, s Store, data []byte) (string, error) {
	sha, err := PutBlob(ctx, s, data)
	if err != nil {
		return "", err
	}
	if _, err := VerifyBlob(ctx, s, sha); err != nil {
		return "", fmt.Errorf("verify after upload: %w", err)
	}
	return sha, nil
}

// GetBlob reads the blob named sha and re-hashes it. Bytes that do not hash to sha
// (a flipped byte, a truncation) give an error wrapping ErrCorrupt that names the blob.
func GetBlob(ctx context.Context, s Store, sha string) ([]byte, error) {
	return GetBlobSized(ctx, s, sha, -1)
}

// GetBlobSized is GetBlob for a blob whose size the caller knows (a dataset manifest
// records each shard's): the bytes go into one buffer of that size, where io.ReadAll's
// doubling copied and page-faulted a 50 MB shard about three times over. A blob of
// another size is still read whole and judged by its hash alone; a negative size
// means unknown.
func GetBlobSized(ctx context.Context, s Store, sha string, size int64) ([]byte, error) {
	if err := ValidateDigest(sha); err != nil {
		return nil, fmt.Errorf("get blob: %w", err)
	}
	rc, err := s.Get(ctx, BlobKey(sha))
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", sha, err)
	}
	defer rc.Close()
	data, err := readSized(rc, size)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: read: %w", sha, err)
	}
	if got := Digest(data); got != sha {
		return nil, corruptError(sha, got, int64(len(data)))
	}
	return data, nil
}

// readSized reads r to its end into one buffer of the expected size (one byte more,
// to see a longer stream), or with io.ReadAll when the size is unknown.
func readSized(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		return io.ReadAll(r)
	}
	data := make([]byte, size+1)
	n, err := io.ReadFull(r, data)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return data[:n:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(r)
	return append(data, rest...), err
}

// VerifyBlob streams the blob named sha through SHA-256 without holding it in memory and
// returns its size. A mismatch wraps ErrCorrupt and names the blob; a missing blob wraps
// ErrNotFound.
func VerifyBlob(ctx context.Context, s Store, sha string) (int64, error) {
	if err := ValidateDigest(sha); err != nil {
		return 0, fmt.Errorf("verify blob: %w", err)
	}
	rc, err := s.Get(ctx, BlobKey(sha))
	if err != nil {
		return 0, fmt.Errorf("verify blob %s: %w", sha, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return n, fmt.Errorf("verify blob %s: read: %w", sha, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return n, corruptError(sha, got, n)
	}
	return n, nil
}

func corruptError(want, got string, size int64) error {
	return fmt.Errorf("blob %s (key %s): %w: content hashes to %s (%d bytes)",
		want, BlobKey(want), ErrCorrupt, got, size)
}
