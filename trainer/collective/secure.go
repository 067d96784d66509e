package collective

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// secureAccepted runs the TLS handshake on a link accepted from the predecessor,
// when the ring is configured for TLS; the session hello and ack then travel
// inside it, and sealLink switches the link to sealed frames after them.
func secureAccepted(ctx context.Context, cfg Config, conn net.Conn) (net.Conn, error) {
	if cfg.ServerTLS == nil {
		return conn, nil
	}
	link := newSecureLink(conn, func(c net.Conn) *tls.Conn { return tls.Server(c, cfg.ServerTLS) })
	if err := link.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls handshake from %s: %w", conn.RemoteAddr(), err)
	}
	return link, nil
}

// secureDialled runs the TLS handshake on the link to the successor. A refusal on
// certificates is final (ErrHandshake): the peer is not an agent of this cluster, or
// we are not, and redialling cannot change that; a link that drops mid-handshake is
// retried like a refused dial.
func secureDialled(ctx context.Context, cfg Config, conn net.Conn) (net.Conn, error) {
	if cfg.ClientTLS == nil {
		return conn, nil
	}
	link := newSecureLink(conn, func(c net.Conn) *tls.Conn { return tls.Client(c, cfg.ClientTLS) })
	if err := link.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		var ne net.Error
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) ||
			(errors.As(err, &ne) && ne.Timeout()) || ctx.Err() != nil {
			return nil, fmt.Errorf("tls handshake with %s: %w", conn.RemoteAddr(), err)
		}
		return nil, fmt.Errorf("%w: tls: %v", ErrHandshake, err)
	}
	return link, nil
}

// refusedByTLS reports a TLS alert from the peer after our side of the handshake
// finished: in TLS 1.3 the server checks the client's certificate last, so its
// refusal arrives on the first read.
func refusedByTLS(err error) bool {
	var op *net.OpError // a received alert is an OpError "remote error" around an unexported type
	return err != nil && !errors.Is(err, ErrHandshake) && errors.As(err, &op) && op.Op == "remote error"
}
