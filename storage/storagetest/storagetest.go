// Package storagetest is the conformance suite every storage.Store backend must pass:
// one set of behaviours (atomic overwrite, ErrNotFound, key rules, ordering, large
// streamed objects, concurrent writers, content addressing and corruption detection)
// checked the same way against the local directory and a real MinIO server.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// LargeObjectSize is the size of the streamed large-object case: bigger than several
// S3 parts at the default part size, so multipart uploads are exercised.
const LargeObjectSize = 64 << 20

// Run runs the whole suite; newStore returns a fresh, empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Run("PutGetStat", func(t *testing.T) { testPutGetStat(t, newStore(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newStore(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, newStore(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, newStore(t)) })
	t.Run("SizeMismatch", func(t *testing.T) { testSizeMismatch(t, newStore(t)) })
	t.Run("CanceledPut", func(t *testing.T) { testCanceledPut(t, newStore(t)) })
	t.Run("ListPrefixOrder", func(t *testing.T) { testListPrefix(t, newStore(t)) })
	t.Run("LargeObject", func(t *testing.T) { testLargeObject(t, newStore(t)) })
	t.Run("ConcurrentDistinctKeys", func(t *testing.T) { testConcurrentDistinct(t, newStore(t)) })
	t.Run("ConcurrentSameKey", func(t *testing.T) { testConcurrentSameKey(t, newStore(t)) })
	t.Run("Blobs", func(t *testing.T) { testBlobs(t, newStore(t)) })
	t.Run("BlobCorruption", func(t *testing.T) { testBlobCorruption(t, newStore(t)) })
}

// put stores data under key with its size declared, failing the test on error.
func put(t *testing.T, s storage.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

// get reads the whole object, failing the test on error.
func get(t *testing.T, s storage.Store, key string) []byte {
	t.Helper()
	data, err := read(t.Context(), s, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data
}

func read(ctx context.Context, s storage.Store, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// randomBytes is deterministic pseudo-random content.
func randomBytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// stream is a non-seekable reader of n deterministic pseudo-random bytes; the suite's
// large objects come through it so no backend can rely on seeking or on a []byte.
type stream struct {
	r io.Reader
}

func newStream(seed uint64, n int64) *stream {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return &stream{r: io.LimitReader(rand.NewChaCha8(s), n)}
}

func (s *stream) Read(p []byte) (int, error) { return s.r.Read(p) }

func streamDigest(seed uint64, n int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, newStream(seed, n)); err != nil {
		panic(err) // an in-memory generator cannot fail
	}
	return hex.EncodeToString(h.Sum(nil))
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}
