package pki

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Refusal is one connection refused at the TLS handshake.
type Refusal struct {
	Listener string // "api", "raft", "ring", …
	Remote   string // the peer's address
	Reason   string
	Peer     string // the certificate's identity or subject, if it presented one
}

// handshakeTimeout bounds a handshake, so a silent peer cannot hold a goroutine.
const handshakeTimeout = 10 * time.Second

// Listener completes each TLS handshake before Accept returns the connection, so a
// refused peer is reported (onRefused) with its address and reason, and a slow
// handshake never blocks the next one. Accepted connections are *tls.Conn.
type Listener struct {
	inner     net.Listener
	cfg       *tls.Config
	name      string
	onRefused func(Refusal)

	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex
	err       error
}

// NewListener wraps inner; onRefused may be nil.
func NewListener(inner net.Listener, cfg *tls.Config, name string, onRefused func(Refusal)) *Listener {
	l := &Listener{inner: inner, cfg: cfg, name: name, onRefused: onRefused,
		conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *Listener) acceptLoop() {
	for {
		raw, err := l.inner.Accept()
		if err != nil {
			l.errMu.Lock()
			l.err = err
			l.errMu.Unlock()
			l.Close()
			return
		}
		go l.handshake(raw)
	}
}

func (l *Listener) handshake(raw net.Conn) {
	c := tls.Server(raw, l.cfg)
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := c.Handshake(); err != nil {
		answerPlainHTTP(err)
		_ = c.Close()
		if reason, peer, ok := HandshakeReason(err); ok && l.onRefused != nil {
			l.onRefused(Refusal{Listener: l.name, Remote: raw.RemoteAddr().String(), Reason: reason, Peer: peer})
		}
		return
	}
	_ = c.SetDeadline(time.Time{})
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		l.errMu.Lock()
		defer l.errMu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections already returned stay open.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// answerPlainHTTP tells a plaintext HTTP client (curl http://…, a CLI without TLS
// settings) what is wrong, as net/http does, instead of dropping the connection.
func answerPlainHTTP(err error) {
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) || rh.Conn == nil {
		return
	}
	switch string(rh.RecordHeader[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "DELET", "PATCH", "OPTIO":
		_ = rh.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		msg := "this server speaks HTTPS with the cluster's CA: use https:// and set DXTRAIN_CACERT\n"
		_, _ = io.WriteString(rh.Conn, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"+msg)
	}
}
