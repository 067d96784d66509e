package collective

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Join listens on cfg.Addrs[cfg.Rank], connects this rank to its ring
// neighbours and returns the communicator. It keeps dialling the successor and
// waiting for the predecessor until cfg.DialTimeout or ctx ends, since ranks
// start at different times. A 1-rank world opens no sockets.
func Join(ctx context.Context, cfg Config) (*Comm, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(true); err != nil {
		return nil, err
	}
	if cfg.World == 1 {
		return newComm(cfg, nil, nil), nil
	}
	ln, err := net.Listen("tcp", cfg.Addrs[cfg.Rank])
	if err != nil {
		return nil, &OpError{Op: "join", Rank: cfg.Rank, Peer: -1, Kind: ErrPeer, Err: fmt.Errorf("listen on %s: %w", cfg.Addrs[cfg.Rank], err)}
	}
	return join(ctx, cfg, ln)
}

// JoinListener is Join with a listener the caller already bound (port 0 in
// tests, or a socket inherited from a parent process). It takes ownership of
// ln and closes it before returning; cfg.Addrs[cfg.Rank] is not used.
func JoinListener(ctx context.Context, cfg Config, ln net.Listener) (*Comm, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(false); err != nil {
		_ = ln.Close()
		return nil, err
	}
	if cfg.World == 1 {
		_ = ln.Close()
		return newComm(cfg, nil, nil), nil
	}
	return join(ctx, cfg, ln)
}

func join(ctx context.Context, cfg Config, ln net.Listener) (*Comm, error) {
	if !littleEndianHost {
		_ = ln.Close()
		return nil, &OpError{Op: "join", Rank: cfg.Rank, Peer: -1, Kind: ErrInvalidConfig, Err: errors.New("big-endian hosts are not supported")}
	}
	if cfg.ServerTLS != nil {
		// A ring link never resumes a session, and a ticket is one more record
		// the dialler must read before the link is sealed.
		cfg.ServerTLS = cfg.ServerTLS.Clone()
		cfg.ServerTLS.SessionTicketsDisabled = true
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	defer ln.Close()

	type result struct {
		conn net.Conn
		err  error
	}
	accepted, dialled := make(chan result, 1), make(chan result, 1)
	go func() { c, err := acceptPrev(ctx, cfg, ln); accepted <- result{c, err} }()
	go func() { c, err := dialNext(ctx, cfg); dialled <- result{c, err} }()
	var prev, next result
	for got := 0; got < 2; got++ {
		select {
		case prev = <-accepted:
		case next = <-dialled:
		}
		if prev.err != nil || next.err != nil {
			cancel() // the other side gives up at once
		}
	}
	if prev.err != nil || next.err != nil {
		for _, c := range []net.Conn{prev.conn, next.conn} {
			if c != nil {
				_ = c.Close()
			}
		}
		// Report the root cause, not the side that was cancelled because of it.
		if next.err != nil && (prev.err == nil || errors.Is(prev.err, context.Canceled)) {
			return nil, next.err
		}
		return nil, prev.err
	}
	cfg.Logger.Debug("collective joined", "rank", cfg.Rank, "world", cfg.World,
		"next", next.conn.RemoteAddr().String(), "prev", prev.conn.RemoteAddr().String())
	return newComm(cfg, next.conn, prev.conn), nil
}

// tuneConn applies the socket options of cfg. All are best effort: a failure
// only costs speed, so it is logged, not returned.
func tuneConn(c net.Conn, cfg Config) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	_ = tc.SetNoDelay(true)
	if cfg.SocketBuffer > 0 {
		_ = tc.SetReadBuffer(cfg.SocketBuffer)
		_ = tc.SetWriteBuffer(cfg.SocketBuffer)
	}
	if cfg.Congestion != SystemCongestion {
		if err := SetCongestion(tc, cfg.Congestion); err != nil {
			cfg.Logger.Debug("collective keeps the system congestion control", "rank", cfg.Rank, "error", err)
		}
	}
}

func joinErr(ctx context.Context, cfg Config, peer int, what string, cause error) error {
	kind := ErrPeer
	switch {
	case errors.Is(cause, ErrHandshake):
		kind = ErrHandshake
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		kind = ErrTimeout
	case ctx.Err() != nil:
		kind = ctx.Err()
	}
	return &OpError{Op: "join", Rank: cfg.Rank, Peer: peer, Kind: kind, Err: fmt.Errorf("%s: %w", what, cause)}
}

// dialNext connects to the successor, retrying refused or dropped attempts
// with backoff. A handshake rejection is final: the peer belongs to another
// attempt or disagrees on the world.
func dialNext(ctx context.Context, cfg Config) (net.Conn, error) {
	to := (cfg.Rank + 1) % cfg.World
	addr := cfg.Addrs[to]
	hi := hello{From: cfg.Rank, To: to, World: cfg.World, Session: cfg.Session}.encode()
	var d net.Dialer
	backoff := 10 * time.Millisecond
	lastErr := errors.New("no attempt made")
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			tuneConn(conn, cfg)
			conn, err = secureDialled(ctx, cfg, conn)
		}
		if err == nil {
			if err = clientHandshake(ctx, conn, hi); err == nil {
				var sealed net.Conn
				if sealed, err = sealLink(conn, true, fmt.Sprintf("to rank %d at %s", to, addr)); err == nil {
					return sealed, nil
				}
			}
			_ = conn.Close()
		}
		if refusedByTLS(err) {
			err = fmt.Errorf("%w: the successor refused this rank's certificate: %v", ErrHandshake, err)
		}
		if errors.Is(err, ErrHandshake) {
			return nil, joinErr(ctx, cfg, to, "dial "+addr, err)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, joinErr(ctx, cfg, to, "dial "+addr, fmt.Errorf("%w (last attempt: %w)", ctx.Err(), lastErr))
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 250*time.Millisecond)
	}
}

func clientHandshake(ctx context.Context, conn net.Conn, hi []byte) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	if _, err := conn.Write(hi); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	var ack [2]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return fmt.Errorf("read handshake reply: %w", err)
	}
	reason := make([]byte, ack[1])
	if _, err := io.ReadFull(conn, reason); err != nil {
		return fmt.Errorf("read handshake reason: %w", err)
	}
	if ack[0] != ackAccept {
		return fmt.Errorf("%w: %s", ErrHandshake, reason)
	}
	return conn.SetDeadline(time.Time{})
}

// acceptPrev accepts connections until one passes the handshake as this
// rank's predecessor in this session. Each candidate is served on its own
// goroutine, so a silent stranger cannot block the real peer.
func acceptPrev(ctx context.Context, cfg Config, ln net.Listener) (net.Conn, error) {
	from := (cfg.Rank + cfg.World - 1) % cfg.World
	won := make(chan net.Conn, 1)
	// wg counts the accept loop itself as well as each handshake, so that its Adds
	// happen while the count is above zero: the late-winner cleanup below waits until
	// the listener is closed and every handshake has finished. (Counting only the
	// handshakes let an Add from zero run concurrently with that Wait, a race the
	// detector reports, and a connection accepted after Wait returned could win
	// unclosed.)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // listener closed: join finished or gave up
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tuneConn(conn, cfg)
				link, err := secureAccepted(ctx, cfg, conn)
				if err != nil && ctx.Err() == nil && cfg.OnRefusal != nil {
					cfg.OnRefusal(conn.RemoteAddr().String(), err)
				}
				if err == nil {
					err = serverHandshake(ctx, cfg, link, from)
				}
				if err == nil {
					link, err = sealLink(link, false, fmt.Sprintf("from rank %d at %s", from, conn.RemoteAddr()))
				}
				if err != nil {
					cfg.Logger.Warn("collective refused a connection", "rank", cfg.Rank, "remote", conn.RemoteAddr().String(), "error", err)
					_ = conn.Close()
					return
				}
				conn := link
				select {
				case won <- conn:
				default:
					_ = conn.Close() // a duplicate; the first one won
				}
			}()
		}
	}()
	select {
	case conn := <-won:
		return conn, nil
	case <-ctx.Done():
		go func() { // close a winner that arrives too late
			wg.Wait()
			select {
			case conn := <-won:
				_ = conn.Close()
			default:
			}
		}()
		return nil, joinErr(ctx, cfg, from, "wait for predecessor", fmt.Errorf("no valid connection from rank %d: %w", from, ctx.Err()))
	}
}

// serverHandshake reads a hello, checks it against cfg and replies.
func serverHandshake(ctx context.Context, cfg Config, conn net.Conn, from int) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	fixed := make([]byte, helloFixedLen, helloFixedLen+maxSessionLen)
	if _, err := io.ReadFull(conn, fixed); err != nil {
		return fmt.Errorf("read hello: %w", err)
	}
	h, n, err := parseHelloFixed(fixed)
	if err != nil {
		_, _ = conn.Write(encodeAck(ackReject, err.Error()))
		return err
	}
	sess := make([]byte, n)
	if _, err := io.ReadFull(conn, sess); err != nil {
		return fmt.Errorf("read hello session: %w", err)
	}
	h.Session = string(sess)
	if reason := checkHello(cfg, h, from); reason != "" {
		_, _ = conn.Write(encodeAck(ackReject, reason))
		return fmt.Errorf("%w: %s", ErrHandshake, reason)
	}
	if _, err := conn.Write(encodeAck(ackAccept, "")); err != nil {
		return fmt.Errorf("send handshake reply: %w", err)
	}
	return conn.SetDeadline(time.Time{})
}

// checkHello returns why h is not this rank's predecessor, or "". The reason
// never echoes the session text.
func checkHello(cfg Config, h hello, from int) string {
	switch {
	case h.Session != cfg.Session:
		return fmt.Sprintf("rank %d: session mismatch (peer from another attempt)", cfg.Rank)
	case h.World != cfg.World:
		return fmt.Sprintf("rank %d: world size %d, peer says %d", cfg.Rank, cfg.World, h.World)
	case h.To != cfg.Rank:
		return fmt.Sprintf("rank %d: peer dialled rank %d", cfg.Rank, h.To)
	case h.From != from:
		return fmt.Sprintf("rank %d: peer is rank %d, want predecessor rank %d", cfg.Rank, h.From, from)
	}
	return ""
}
