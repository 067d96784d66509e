package storage

import (
	"bytes"
	"errors"
	"testing"
)

// TestGetBlobSized checks that the stated size changes nothing but the buffer: the
// right size, a wrong one either way, or none give the blob, and a corrupt blob is
// refused whatever the size.
func TestGetBlobSized(t *testing.T) {
	s, err := NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("shard "), 1000)
	sha, err := PutBlob(t.Context(), s, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{int64(len(data)), 0, 10, int64(len(data)) + 7, -1} {
		got, err := GetBlobSized(t.Context(), s, sha, size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: got %d bytes, want the %d stored", size, len(got), len(data))
		}
	}
	other := Digest([]byte("something else"))
	if err := s.Put(t.Context(), BlobKey(other), bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if _, err := GetBlobSized(t.Context(), s, other, int64(len(data))); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt blob: err %v, want ErrCorrupt", err)
	}
}
