package safetensors

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// writeChunk bounds one Write of WriteTo. Hashing is assembly, which the Go scheduler
// cannot preempt, so a 50 MB tensor written to a hash in one call would hold its
// goroutine for tens of milliseconds and delay every stop-the-world pause (and so
// every other goroutine) for as long; 1 MiB is well under a millisecond.
const writeChunk = 1 << 20

// Encoding is a safetensors file assembled from its header and the tensors' own Data,
// without copying them into an output buffer: Encode's bytes, read in place. It is an
// io.Reader, io.Seeker, io.ReaderAt and io.WriterTo, so it can be hashed and then
// uploaded (and re-read for a retry) with no second copy of a large checkpoint in
// memory.
//
// The tensors' Data must not change while the Encoding is in use. ReadAt and Size may
// be called concurrently; Read, Seek and WriteTo share a position and may not.
type Encoding struct {
	segs [][]byte // the length prefix and header, then every tensor's Data in file order
	ends []int64  // ends[i] is the offset one past segs[i]
	pos  int64
}

// NewEncoding checks tensors and metadata as Encode does and returns their encoding.
// Only the header is built; tensor bytes are referenced, not copied.
func NewEncoding(tensors []Tensor, metadata map[string]string) (*Encoding, error) {
	sorted, head, err := encodeHeader(tensors, metadata)
	if err != nil {
		return nil, err
	}
	e := &Encoding{segs: make([][]byte, 0, 1+len(sorted)), ends: make([]int64, 0, 1+len(sorted))}
	e.add(head)
	for _, t := range sorted {
		if len(t.Data) > 0 {
			e.add(t.Data)
		}
	}
	return e, nil
}

func (e *Encoding) add(b []byte) {
	e.segs = append(e.segs, b)
	e.ends = append(e.ends, e.Size()+int64(len(b)))
}

// Size is the encoded length in bytes.
func (e *Encoding) Size() int64 {
	if len(e.ends) == 0 {
		return 0
	}
	return e.ends[len(e.ends)-1]
}

// ReadAt copies the bytes at off into p; it returns io.EOF when p reaches past the end.
func (e *Encoding) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("safetensors: encoding: negative read offset")
	}
	n := 0
	// The first segment ending after off holds it.
	for i := sort.Search(len(e.ends), func(i int) bool { return e.ends[i] > off }); i < len(e.segs) && n < len(p); i++ {
		start := e.ends[i] - int64(len(e.segs[i]))
		n += copy(p[n:], e.segs[i][off+int64(n)-start:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Read reads from the current position.
func (e *Encoding) Read(p []byte) (int, error) {
	if e.pos >= e.Size() {
		return 0, io.EOF
	}
	n, _ := e.ReadAt(p, e.pos) // a short read at the end is not an error for Read
	e.pos += int64(n)
	return n, nil
}

// Seek sets the position for the next Read or WriteTo.
func (e *Encoding) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += e.pos
	case io.SeekEnd:
		offset += e.Size()
	default:
		return 0, fmt.Errorf("safetensors: encoding: seek: invalid whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("safetensors: encoding: seek to negative position %d", offset)
	}
	e.pos = offset
	return offset, nil
}

// WriteTo writes the bytes from the current position to w, in pieces of at most
// 1 MiB, and leaves the position at the end.
func (e *Encoding) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for e.pos < e.Size() {
		i := sort.Search(len(e.ends), func(i int) bool { return e.ends[i] > e.pos })
		start := e.ends[i] - int64(len(e.segs[i]))
		b := e.segs[i][e.pos-start:]
		if len(b) > writeChunk {
			b = b[:writeChunk]
		}
		n, err := w.Write(b)
		total += int64(n)
		e.pos += int64(n)
		if err != nil {
			return total, err
		}
		if n < len(b) {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}
