package coordinator

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// TestCopyVerifiedHoldsBackCorruptTails: a file too large to check before answering
// streams, and a content that fails its hash never arrives whole.
func TestCopyVerifiedHoldsBackCorruptTails(t *testing.T) {
	good := bytes.Repeat([]byte("dxtrain model bytes "), 3*streamChunk/16)
	sha := storage.Digest(good)
	var out bytes.Buffer
	if err := copyVerified(&out, bytes.NewReader(good), sha, int64(len(good))); err != nil || !bytes.Equal(out.Bytes(), good) {
		t.Fatalf("good content: %d of %d bytes, %v", out.Len(), len(good), err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)-3] ^= 1
	out.Reset()
	if err := copyVerified(&out, bytes.NewReader(bad), sha, int64(len(bad))); !errors.Is(err, storage.ErrCorrupt) || out.Len() >= len(bad) {
		t.Fatalf("corrupt content: %d of %d bytes written, %v", out.Len(), len(bad), err)
	}
	out.Reset()
	if err := copyVerified(&out, bytes.NewReader(good[:len(good)-1]), sha, int64(len(good))); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("short content: %v", err)
	}
}
