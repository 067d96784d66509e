package collective

import (
	"encoding/binary"
	"fmt"
	"io"
)

// sealWriter seals a link's outgoing bytes into frames. It seals straight from
// the caller's buffers into one reused buffer of whole frames and writes that
// buffer with one system call when the next frame would not fit, or when the
// call ends (a write has reached the socket when it returns). Any error leaves
// it dead: part of a frame may have reached the wire.
type sealWriter struct {
	w    io.Writer // the socket
	dir  sealDir
	buf  []byte // sealed frames not yet written; allocated on first use
	held int64  // plaintext bytes sealed into buf
	err  error
	name string // the link, for errors
}

// add seals p into frames of at most maxSealedFrame bytes, writing the buffer
// out whenever the next frame would not fit. It returns the plaintext bytes
// that reached the socket.
func (s *sealWriter) add(p []byte) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, sealGatherBytes)
	}
	var sent int64
	for len(p) > 0 {
		k := min(len(p), maxSealedFrame)
		if len(s.buf)+sealOverhead+k > cap(s.buf) {
			n, err := s.flush()
			if sent += n; err != nil {
				return sent, err
			}
		}
		aead, nonce, _, err := s.dir.next()
		if err != nil {
			return sent, s.fail(err)
		}
		off := len(s.buf)
		s.buf = binary.BigEndian.AppendUint32(s.buf, uint32(k))
		s.buf = aead.Seal(s.buf, nonce, p[:k], s.buf[off:off+sealHeaderLen])
		s.held += int64(k)
		p = p[k:]
	}
	return sent, nil
}

// flush writes the gathered frames and returns the plaintext bytes they carry.
func (s *sealWriter) flush() (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if len(s.buf) == 0 {
		return 0, nil
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return 0, s.fail(err)
	}
	n := s.held
	s.buf, s.held = s.buf[:0], 0
	return n, nil
}

func (s *sealWriter) fail(err error) error {
	s.err = fmt.Errorf("sealed link %s: %w", s.name, err)
	return s.err
}
