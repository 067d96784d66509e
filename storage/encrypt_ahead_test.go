package storage_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
)

// countingReader counts reads, and fails after limit bytes when fail is set.
type countingReader struct {
	r     io.Reader
	reads atomic.Int64
	limit int
	fail  bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads.Add(1)
	if c.fail && c.limit <= 0 {
		return 0, errors.New("source dropped")
	}
	p = p[:min(len(p), max(c.limit, 1))]
	n, err := c.r.Read(p)
	c.limit -= n
	return n, err
}

// TestEncryptedReadAheadStops: Put never reads the caller's reader after it returns
// (the caller may reuse it), and closing a half-read Get stops its goroutine.
func TestEncryptedReadAheadStops(t *testing.T) {
	s := newEncrypted(t, newFileStore(t), storage.Encryption{KEK: newKEK(t)})
	data := bytes.Repeat([]byte("x"), 3<<20)
	src := &countingReader{r: bytes.NewReader(data), limit: 1 << 20, fail: true}
	if err := s.Put(t.Context(), "k", src, int64(len(data))); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	reads := src.reads.Load()
	time.Sleep(20 * time.Millisecond)
	if src.reads.Load() != reads {
		t.Fatal("the source was read after Put returned")
	}
	if _, err := s.Stat(t.Context(), "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a failed Put left an object: %v", err)
	}

	if err := s.Put(t.Context(), "k", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		rc, err := s.Get(t.Context(), "k")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rc, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := rc.Read(make([]byte, 1)); err == nil {
			t.Fatal("Read after Close succeeded")
		}
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Fatalf("%d goroutines before 20 half-read Gets, %d after: read-aheads leak", before, after)
	}
}
