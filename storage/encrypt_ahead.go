package storage

import (
	"errors"
	"io"
	"sync"
)

// aheadChunk and aheadDepth bound a read-ahead: 4 chunks of 4 DARE packages each.
const (
	aheadChunk = 4 << 16
	aheadDepth = 4
)

var aheadPool = sync.Pool{New: func() any { return make([]byte, aheadChunk) }}

// aheadReader runs the reads of r (a DARE encryption or decryption) in a goroutine, up
// to aheadDepth chunks ahead of the consumer, so that with two or more cores the
// cryptography overlaps with the consumer's own work (the backend writing, the caller
// hashing) instead of adding to it: on a 2-core machine this is what keeps encrypted
// checkpoint writes near plaintext speed. Close stops the goroutine and waits for it,
// so r is never read after Close returns (callers reuse their readers after Put).
type aheadReader struct {
	chunks   chan aheadResult
	free     chan []byte
	done     chan struct{}
	finished chan struct{}
	once     sync.Once

	cur      []byte // unread part of buf
	buf      []byte
	err      error
	closed   bool
	stop     func() error // closes what the goroutine may be blocked reading, before the wait
	closeErr error
}

type aheadResult struct {
	buf []byte
	n   int
	err error
}

func newAheadReader(r io.Reader, stop func() error) *aheadReader {
	a := &aheadReader{
		chunks:   make(chan aheadResult, aheadDepth),
		free:     make(chan []byte, aheadDepth+1),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
		stop:     stop,
	}
	go a.run(r)
	return a
}

func (a *aheadReader) run(r io.Reader) {
	defer close(a.finished)
	allocated := 0
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.done:
			return
		default:
			if allocated < aheadDepth+1 {
				buf, allocated = aheadPool.Get().([]byte), allocated+1
			} else {
				select {
				case buf = <-a.free:
				case <-a.done:
					return
				}
			}
		}
		n, err := fill(r, buf)
		select {
		case a.chunks <- aheadResult{buf: buf, n: n, err: err}:
		case <-a.done:
			aheadPool.Put(buf)
			return
		}
		if err != nil {
			return
		}
	}
}

// fill reads into buf until it is full or r fails; io.EOF comes back as the error of
// the last, possibly partial, chunk.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (a *aheadReader) Read(p []byte) (int, error) {
	if a.closed {
		return 0, errClosedReader
	}
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if a.buf != nil {
			a.free <- a.buf // never blocks: at most aheadDepth+1 buffers exist
			a.buf = nil
		}
		c := <-a.chunks
		a.buf, a.cur, a.err = c.buf, c.buf[:c.n], c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the read-ahead and waits until the goroutine has stopped reading.
func (a *aheadReader) Close() error {
	a.once.Do(func() {
		a.closed = true
		close(a.done)
		if a.stop != nil {
			a.closeErr = a.stop()
		}
		<-a.finished
		if a.buf != nil {
			aheadPool.Put(a.buf)
			a.buf = nil
		}
	})
	return a.closeErr
}

var errClosedReader = errors.New("read after close")
