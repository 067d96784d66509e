package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

func testLargeObject(t *testing.T, s storage.Store) {
	const seed = 64
	want := streamDigest(seed, LargeObjectSize)
	if err := s.Put(t.Context(), "large/object.bin", newStream(seed, LargeObjectSize), LargeObjectSize); err != nil {
		t.Fatalf("Put of %d streamed bytes: %v", LargeObjectSize, err)
	}
	rc, err := s.Get(t.Context(), "large/object.bin")
	if err != nil {
		t.Fatalf("Get large object: %v", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("stream large object after %d bytes: %v", n, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != LargeObjectSize || got != want {
		t.Fatalf("large object read back as %d bytes sha256 %s, want %d bytes %s", n, got, LargeObjectSize, want)
	}
	info, err := s.Stat(t.Context(), "large/object.bin")
	if err != nil || info.Size != LargeObjectSize {
		t.Fatalf("Stat large object = %+v, %v", info, err)
	}
}

const writers = 8

func testConcurrentDistinct(t *testing.T, s storage.Store) {
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			data := randomBytes(uint64(100+i), 200_000+i)
			key := fmt.Sprintf("distinct/w%d", i)
			if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
				errs[i] = err
				return
			}
			got, err := read(t.Context(), s, key)
			if err != nil || !bytes.Equal(got, data) {
				errs[i] = fmt.Errorf("read back %s: %d bytes, %v", key, len(got), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(t.Context(), "distinct/")
	if err != nil || len(list) != writers {
		t.Fatalf("List after %d concurrent writers = %d objects, %v", writers, len(list), err)
	}
}

// testConcurrentSameKey races 8 writers of one key against a reader: every read, and the
// final object, must be one writer's whole version, never a mix or a prefix.
func testConcurrentSameKey(t *testing.T, s storage.Store) {
	const size = 1 << 20
	versions := make(map[string]int, writers)
	payloads := make([][]byte, writers)
	for i := range writers {
		payloads[i] = randomBytes(uint64(200+i), size)
		versions[storage.Digest(payloads[i])] = i
	}
	const key = "same/key"
	var done atomic.Bool
	var reads, partial atomic.Int64
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerErr)
		for !done.Load() {
			got, err := read(t.Context(), s, key)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				readerErr <- fmt.Errorf("concurrent Get: %w", err)
				return
			}
			reads.Add(1)
			if _, ok := versions[storage.Digest(got)]; !ok {
				partial.Add(1)
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.Put(t.Context(), key, bytes.NewReader(payloads[i]), size)
		})
	}
	wg.Wait()
	done.Store(true)
	if err := <-readerErr; err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent writers of one key: %v", err)
	}
	if partial.Load() > 0 {
		t.Fatalf("%d of %d concurrent reads saw a version no writer wrote", partial.Load(), reads.Load())
	}
	final := get(t, s, key)
	if _, ok := versions[storage.Digest(final)]; !ok || len(final) != size {
		t.Fatalf("after %d writers the object (%d bytes) is no writer's whole version", writers, len(final))
	}
	list, err := s.List(t.Context(), "same/")
	if err != nil || len(list) != 1 || list[0].Key != key {
		t.Fatalf("List after same-key writers = %+v, %v; want only %q (no temporary files)", list, err, key)
	}
}

// countingStore counts Puts so the suite can see PutBlob skip an existing blob.
type countingStore struct {
	storage.Store
	puts atomic.Int64
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	c.puts.Add(1)
	return c.Store.Put(ctx, key, r, size)
}

func testBlobs(t *testing.T, s storage.Store) {
	cs := &countingStore{Store: s}
	data := randomBytes(300, 123_457)
	sha, err := storage.PutBlob(t.Context(), cs, data)
	if err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	if want := storage.Digest(data); sha != want {
		t.Fatalf("PutBlob returned %s, want %s", sha, want)
	}
	key := storage.BlobKey(sha)
	if want := "blobs/sha256/" + sha[:2] + "/" + sha; key != want {
		t.Fatalf("BlobKey = %q, want %q", key, want)
	}
	if _, err := cs.Stat(t.Context(), key); err != nil {
		t.Fatalf("blob not at its key %s: %v", key, err)
	}
	if sha2, err := storage.PutBlob(t.Context(), cs, data); err != nil || sha2 != sha {
		t.Fatalf("second PutBlob = %s, %v", sha2, err)
	}
	if n := cs.puts.Load(); n != 1 {
		t.Fatalf("PutBlob of an existing blob uploaded again: %d Puts, want 1", n)
	}
	got, err := storage.GetBlob(t.Context(), cs, sha)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetBlob = %d bytes, %v", len(got), err)
	}
	if n, err := storage.VerifyBlob(t.Context(), cs, sha); err != nil || n != int64(len(data)) {
		t.Fatalf("VerifyBlob = %d, %v", n, err)
	}
	for _, bad := range []string{"", "xyz", strings.ToUpper(sha), sha[:63] + "g", "../" + sha[3:]} {
		if _, err := storage.GetBlob(t.Context(), cs, bad); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("GetBlob(%q): %v, want ErrInvalidKey", bad, err)
		}
	}
}

// testBlobCorruption writes damaged bytes straight under a blob's key, as a failing disk
// or a buggy writer would, and checks that reads refuse them and name the blob.
func testBlobCorruption(t *testing.T, s storage.Store) {
	data := randomBytes(400, 65_536)
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0x01
	cases := []struct {
		name    string
		damaged []byte
	}{
		{"flipped byte", flipped},
		{"truncated", data[:len(data)-1]},
		{"emptied", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sha, err := storage.PutBlob(t.Context(), s, data)
			if err != nil {
				t.Fatalf("PutBlob: %v", err)
			}
			put(t, s, storage.BlobKey(sha), tc.damaged)
			_, err = storage.GetBlob(t.Context(), s, sha)
			wantErr(t, "GetBlob of a damaged blob", err, storage.ErrCorrupt)
			if !strings.Contains(err.Error(), sha) {
				t.Fatalf("GetBlob error %q does not name blob %s", err, sha)
			}
			_, err = storage.VerifyBlob(t.Context(), s, sha)
			wantErr(t, "VerifyBlob of a damaged blob", err, storage.ErrCorrupt)
			if !strings.Contains(err.Error(), sha) {
				t.Fatalf("VerifyBlob error %q does not name blob %s", err, sha)
			}
			// A damaged blob of another size is repaired by the next PutBlob; one of the
			// same size is not (PutBlob trusts size), which is why readers re-hash.
			if _, err := storage.PutBlob(t.Context(), s, data); err != nil {
				t.Fatalf("PutBlob after damage: %v", err)
			}
			_, err = storage.VerifyBlob(t.Context(), s, sha)
			if sameSize := len(tc.damaged) == len(data); sameSize != errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("VerifyBlob after re-put (same size %t): %v", sameSize, err)
			}
			if err := s.Delete(t.Context(), storage.BlobKey(sha)); err != nil {
				t.Fatalf("Delete blob: %v", err)
			}
		})
	}
}
