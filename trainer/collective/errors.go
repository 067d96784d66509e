package collective

import (
	"errors"
	"fmt"
)

// Sentinel errors; test with errors.Is. Operation failures are *OpError values
// that wrap one of ErrPeer, ErrTimeout, ErrMismatch or ErrClosed.
var (
	// ErrPeer means a peer closed or reset its connection, or sent garbage.
	ErrPeer = errors.New("peer failed")
	// ErrTimeout means an operation (or Join) did not finish before its deadline.
	ErrTimeout = errors.New("deadline exceeded")
	// ErrMismatch means the ranks disagree on which collective they are running
	// (operation, sequence number, length or root).
	ErrMismatch = errors.New("ranks disagree on the operation")
	// ErrClosed means Close was called on this communicator.
	ErrClosed = errors.New("communicator closed")
	// ErrHandshake means a connecting peer presented the wrong session, world
	// size or rank, so it belongs to another attempt or is misconfigured.
	ErrHandshake = errors.New("handshake rejected")
	// ErrInvalidConfig means the Config failed Validate.
	ErrInvalidConfig = errors.New("invalid collective config")
	// ErrInvalidArgument means a call was given an argument it cannot use
	// (for example a root outside the world).
	ErrInvalidArgument = errors.New("invalid argument")
)

// OpError reports a failed collective operation: which one, on which rank,
// and with which peer the failing I/O was.
type OpError struct {
	Op   string // "all-reduce", "broadcast", "barrier" or "join"
	Seq  uint64 // operation number on this communicator, from 1
	Rank int    // the rank that reports the error
	Peer int    // the peer rank the failing I/O was with, or -1
	Kind error  // ErrPeer, ErrTimeout, ErrMismatch, ErrClosed or ErrHandshake
	Err  error  // the underlying cause
}

func (e *OpError) Error() string {
	peer := ""
	if e.Peer >= 0 {
		peer = fmt.Sprintf(" with rank %d", e.Peer)
	}
	return fmt.Sprintf("collective: rank %d: %s #%d%s: %v: %v", e.Rank, e.Op, e.Seq, peer, e.Kind, e.Err)
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *OpError) Unwrap() []error { return []error{e.Kind, e.Err} }

func errBarrierLap(got, want uint8) error {
	return fmt.Errorf("barrier token of lap %d, want lap %d", got, want)
}
