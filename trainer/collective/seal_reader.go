package collective

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// sealReader opens a link's incoming frames. It reads the socket into one
// buffer that holds at least a whole frame, and opens each frame straight into
// the caller's slice when the caller asks for at least all of it (io.ReadFull
// of a ring chunk), so the plaintext is written once, by the cipher. Only a
// read smaller than the frame opens it in place in the buffer and copies out.
// A frame that fails to open, a malformed length or a stream that ends inside
// a frame leaves it dead, and its errors never carry plaintext.
type sealReader struct {
	src   io.Reader     // the socket
	pre   *bufio.Reader // what the TLS layer read past its last record; drained first
	dir   sealDir
	buf   []byte // received bytes, buf[r:w] not yet opened; allocated on first use
	r, w  int
	plain []byte // opened plaintext not yet returned, inside buf
	err   error
	name  string // the link, for errors
}

func (s *sealReader) read(p []byte) (int, error) {
	if len(s.plain) > 0 {
		n := copy(p, s.plain)
		s.plain = s.plain[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.buf == nil {
		s.buf = make([]byte, sealOverhead+maxSealedFrame+sealReadAhead)
	}
	n := 0
	for n < len(p) {
		// Block for the first frame only; then take what is already here.
		size, ok, err := s.frame(n == 0)
		if err != nil || !ok {
			return n, err
		}
		aead, nonce, seq, err := s.dir.next()
		if err != nil {
			return n, s.fail(err)
		}
		hdr := s.buf[s.r : s.r+sealHeaderLen]
		body := s.buf[s.r+sealHeaderLen : s.r+sealOverhead+size]
		s.r += sealOverhead + size
		if size <= len(p)-n {
			dst := p[n : n+size]
			if _, err := aead.Open(dst[:0], nonce, body, hdr); err != nil {
				clear(dst)
				return n, s.fail(fmt.Errorf("frame %d: %w", seq, errFrameAuth))
			}
			n += size
			continue
		}
		opened, err := aead.Open(body[:0], nonce, body, hdr)
		if err != nil {
			clear(body)
			return n, s.fail(fmt.Errorf("frame %d: %w", seq, errFrameAuth))
		}
		k := copy(p[n:], opened)
		s.plain = opened[k:]
		return n + k, nil
	}
	return n, nil
}

// frame makes buf[r:] hold a whole frame and returns its plaintext length.
// Unless wait, it reads nothing and reports false when the frame is not all
// here yet.
func (s *sealReader) frame(wait bool) (int, bool, error) {
	if s.w-s.r < sealHeaderLen {
		if !wait {
			return 0, false, nil
		}
		if err := s.fill(sealHeaderLen); err != nil {
			return 0, false, err
		}
	}
	size := int(binary.BigEndian.Uint32(s.buf[s.r:]))
	switch {
	case size == 0:
		return 0, false, s.fail(fmt.Errorf("frame %d: %w: zero length", s.dir.seq, errFrameLength))
	case size > maxSealedFrame:
		return 0, false, s.fail(fmt.Errorf("frame %d: %w: %d bytes, over the %d-byte limit", s.dir.seq, errFrameLength, size, maxSealedFrame))
	}
	if s.w-s.r < sealOverhead+size {
		if !wait {
			return 0, false, nil
		}
		if err := s.fill(sealOverhead + size); err != nil {
			return 0, false, err
		}
	}
	return size, true, nil
}

// fill reads until buf[r:w] holds need bytes, first moving the unread bytes to
// the front when need would not fit after them. Only the end of the stream is
// final; a timeout leaves the partial frame buffered for the next call.
func (s *sealReader) fill(need int) error {
	if s.r+need > len(s.buf) {
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
	for s.w-s.r < need {
		n, err := s.readSome(s.buf[s.w:])
		s.w += n
		if s.w-s.r >= need {
			return nil
		}
		switch {
		case err == io.EOF && s.w == s.r:
			s.err = io.EOF // the peer closed between frames
			return io.EOF
		case err == io.EOF:
			return s.fail(fmt.Errorf("stream ends inside frame %d (%d bytes of at least %d): %w", s.dir.seq, s.w-s.r, need, io.ErrUnexpectedEOF))
		case err != nil:
			return fmt.Errorf("sealed link %s: %w", s.name, err)
		}
	}
	return nil
}

func (s *sealReader) readSome(b []byte) (int, error) {
	if s.pre != nil {
		if s.pre.Buffered() > 0 {
			return s.pre.Read(b) // copies what is buffered, no system call
		}
		s.pre = nil
	}
	return s.src.Read(b)
}

func (s *sealReader) fail(err error) error {
	s.err = fmt.Errorf("sealed link %s: %w", s.name, err)
	return s.err
}
