package collective

import (
	"bufio"
	"fmt"
	"net"
	"sync"
)

// sealedLink is a ring link in TLS once the session handshake is done: its bytes
// travel in this package's sealed frames (seal_frame.go) on the TCP socket under
// keys exported from the TLS session (seal_keys.go), no longer in crypto/tls
// records. crypto/tls's AES-GCM and its copies made the ring in TLS 0.2-0.3 of
// plaintext speed; here each byte is sealed once from the sender's buffer and
// opened once into the receiver's, with an AES-GCM that newSealCipher picks.
// Deadlines, addresses and Close act on the socket itself.
type sealedLink struct {
	net.Conn
	rmu sync.Mutex
	rd  sealReader
	wmu sync.Mutex
	wr  sealWriter
}

// buffersWriter is a link that sends a writev batch itself.
type buffersWriter interface {
	WriteBuffers(net.Buffers) (int64, error)
}

// sealLink switches a TLS link whose session handshake has passed to sealed
// frames, on the same socket; other links are returned as they are. peer names
// the other end in errors. Nothing may use the tls.Conn afterwards: a record
// it sent now would corrupt the sealed stream.
func sealLink(conn net.Conn, dialler bool, peer string) (net.Conn, error) {
	link, ok := conn.(*secureLink)
	if !ok {
		return conn, nil
	}
	send, recv, err := sealSecrets(link.ConnectionState(), dialler)
	if err != nil {
		return nil, fmt.Errorf("%w: link %s: %v", ErrHandshake, peer, err)
	}
	defer clear(send)
	defer clear(recv)
	return newSealedLink(link.raw.Conn, link.raw.r, send, recv, peer), nil
}

// newSealedLink seals conn under the two directions' first secrets. pre holds
// bytes already read from conn (after the last TLS record), or is nil.
func newSealedLink(conn net.Conn, pre *bufio.Reader, send, recv []byte, name string) *sealedLink {
	return &sealedLink{
		Conn: conn,
		rd:   sealReader{src: conn, pre: pre, dir: newSealDir(recv), name: name},
		wr:   sealWriter{w: conn, dir: newSealDir(send), name: name},
	}
}

func (l *sealedLink) Read(p []byte) (int, error) {
	l.rmu.Lock()
	defer l.rmu.Unlock()
	return l.rd.read(p)
}

func (l *sealedLink) Write(p []byte) (int, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	n, err := l.wr.add(p)
	if err == nil {
		var m int64
		m, err = l.wr.flush()
		n += m
	}
	return int(n), err
}

// WriteBuffers seals every buffer into the gathered frames, then writes what
// remains, so a batch of small chunks costs one system call.
func (l *sealedLink) WriteBuffers(bufs net.Buffers) (int64, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	var total int64
	for _, b := range bufs {
		n, err := l.wr.add(b)
		if total += n; err != nil {
			return total, err
		}
	}
	n, err := l.wr.flush()
	return total + n, err
}
