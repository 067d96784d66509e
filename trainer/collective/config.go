package collective

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied by DefaultConfig and by Join for zero fields.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultDialTimeout = 30 * time.Second
	// DefaultChunkBytes is the smallest chunk the automatic sizing picks
	// (ChunkBytes 0); large messages use up to maxAutoChunkBytes.
	DefaultChunkBytes = 256 << 10
	// DefaultCongestion is the TCP congestion control of the ring's sockets.
	// The ranks of an attempt sit on one host or one LAN, where there is no
	// bottleneck queue for BBR to avoid; BBR (a common system default) paces
	// every packet with timers, which costs CPU per byte on loopback. Reno is
	// the one algorithm every Linux allows unprivileged processes to pick.
	DefaultCongestion = "reno"
	// SystemCongestion as Config.Congestion keeps the kernel's default.
	SystemCongestion  = "system"
	maxAutoChunkBytes = 1 << 20
	maxCongestionLen  = 15 // TCP_CA_NAME_MAX − 1
	maxSessionLen     = 255
	maxWorld          = 1 << 16
)

// Config describes one rank's place in one attempt.
type Config struct {
	Rank  int
	World int
	// Addrs holds the listen address of every rank, indexed by rank. Join
	// listens on Addrs[Rank] and dials Addrs[(Rank+1)%World]. JoinListener
	// ignores Addrs[Rank].
	Addrs []string
	// Session identifies the attempt. Peers with a different Session are
	// rejected at the handshake, so a stale process of an earlier attempt
	// cannot join this one.
	Session string
	// Timeout bounds each collective operation from call to return, far below
	// the 30-minute defaults elsewhere so a dead peer fails the attempt fast.
	Timeout time.Duration
	// DialTimeout bounds Join: how long it keeps dialling its successor and
	// waiting for its predecessor, since ranks start at different times.
	DialTimeout time.Duration
	// ChunkBytes is the pipelining unit: a rank forwards a chunk as soon as it
	// has received and reduced it. A multiple of 4. 0 sizes it from the
	// message: a sixteenth of what one ring step moves, clamped to
	// [DefaultChunkBytes, 1 MiB], since every chunk costs system calls and
	// wake-ups while too few chunks leave the ring's links idle.
	ChunkBytes int
	// SocketBuffer sets SO_SNDBUF/SO_RCVBUF in bytes; 0 keeps the kernel's
	// autotuning, which is usually best on loopback and LANs.
	SocketBuffer int
	// Congestion names the TCP congestion control for the ring's sockets
	// (TCP_CONGESTION); "" means DefaultCongestion and SystemCongestion keeps
	// the kernel default. Best effort: a name the kernel refuses is logged
	// and the default stays.
	Congestion string
	// ServerTLS and ClientTLS, when set, wrap every ring link in mutual TLS 1.3
	// for the session handshake, and the link's data then travels sealed under
	// keys exported from that TLS session (sealed_link.go): ServerTLS for the link
	// accepted from the predecessor, ClientTLS for the one dialled to the
	// successor. Set both or neither; the agent builds them from its certificate
	// so only agents of the cluster's CA can take a place in the ring. Join uses
	// a copy of ServerTLS without session tickets.
	ServerTLS, ClientTLS *tls.Config
	// OnRefusal, if set, is told of each connection whose TLS handshake this
	// rank's listener refused (a plaintext client, another CA's certificate, an
	// expired one, a role other than agent), with the handshake's error, so the
	// agent can audit it. It runs on the connection's goroutine.
	OnRefusal func(remote string, err error)
	// Logger receives join and failure events; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a Config with the default deadlines and automatic
// chunk size; the caller fills in Rank, World, Addrs and Session.
func DefaultConfig() Config {
	return Config{Timeout: DefaultTimeout, DialTimeout: DefaultDialTimeout}
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Congestion == "" {
		c.Congestion = DefaultCongestion
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every violated limit, each naming the field. needAddrs is
// false when the caller supplies its own listener and only the successor's
// address matters.
func (c Config) validate(needOwnAddr bool) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.World < 1 || c.World > maxWorld {
		bad("world %d: must be in [1, %d]", c.World, maxWorld)
	}
	if c.Rank < 0 || c.Rank >= max(c.World, 1) {
		bad("rank %d: must be in [0, world=%d)", c.Rank, c.World)
	}
	if c.World > 1 {
		if len(c.Addrs) != c.World {
			bad("addrs: has %d entries, want one per rank (world=%d)", len(c.Addrs), c.World)
		} else {
			for i, a := range c.Addrs {
				if a == "" && (i != c.Rank || needOwnAddr) {
					bad("addrs[%d]: empty", i)
				}
			}
		}
	}
	if len(c.Session) > maxSessionLen {
		bad("session: %d bytes, at most %d", len(c.Session), maxSessionLen)
	}
	if (c.ServerTLS == nil) != (c.ClientTLS == nil) {
		bad("tls: set both server and client configurations or neither")
	}
	if c.Timeout < 0 {
		bad("timeout %v: must be positive", c.Timeout)
	}
	if c.DialTimeout < 0 {
		bad("dial_timeout %v: must be positive", c.DialTimeout)
	}
	if c.ChunkBytes < 0 || c.ChunkBytes%4 != 0 {
		bad("chunk_bytes %d: must be 0 (automatic) or a positive multiple of 4", c.ChunkBytes)
	}
	if len(c.Congestion) > maxCongestionLen {
		bad("congestion %q: at most %d bytes", c.Congestion, maxCongestionLen)
	}
	if c.SocketBuffer < 0 {
		bad("socket_buffer %d: must not be negative", c.SocketBuffer)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// Validate reports every violated limit of a Config as given to Join
// (zero Timeout and DialTimeout mean the defaults, zero ChunkBytes the
// automatic size).
func (c Config) Validate() error { return c.validate(true) }
