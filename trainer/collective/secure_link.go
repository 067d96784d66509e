package collective

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
)

// A ring link in TLS speaks TLS only for the handshake and the session hello
// and ack, so that certificate refusals, alerts and rejected hellos work as TLS
// does; then both ends switch to sealed frames on the same socket
// (sealed_link.go).

// tlsReadBufferBytes is the buffer under a tls.Conn: a TLS record is at most
// 16 KiB and some bytes, and a handshake flight a few KiB.
const tlsReadBufferBytes = 32 << 10

// tlsRecordHeaderLen is a TLS record's type, version and length.
const tlsRecordHeaderLen = 5

// recordReader sits under a tls.Conn and reads the socket through a buffer,
// but never hands the tls.Conn a byte past the end of the current record:
// crypto/tls keeps what it reads ahead in its private buffer, and the bytes
// after the last record are the sealed stream's, which must stay in r for the
// sealed link to take over.
type recordReader struct {
	net.Conn
	r    *bufio.Reader
	left int // bytes of the current record not yet returned
}

func (b *recordReader) Read(p []byte) (int, error) {
	if b.left == 0 {
		hdr, err := b.r.Peek(tlsRecordHeaderLen)
		if len(hdr) < tlsRecordHeaderLen {
			if err == io.EOF && len(hdr) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		b.left = tlsRecordHeaderLen + int(binary.BigEndian.Uint16(hdr[3:]))
	}
	n, err := b.r.Read(p[:min(len(p), b.left)])
	b.left -= n
	return n, err
}

// secureLink is a ring link in TLS until it is sealed.
type secureLink struct {
	*tls.Conn
	raw *recordReader
}

func newSecureLink(conn net.Conn, wrap func(net.Conn) *tls.Conn) *secureLink {
	raw := &recordReader{Conn: conn, r: bufio.NewReaderSize(conn, tlsReadBufferBytes)}
	return &secureLink{Conn: wrap(raw), raw: raw}
}
