package collective

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Comm is one rank's communicator for one attempt. Collective methods must be
// called by every rank in the same order with matching arguments; they are
// serialised, and Close may be called concurrently to abort them.
type Comm struct {
	cfg         Config
	rank, world int
	next        net.Conn // dialled to rank+1; this rank only sends on it
	prev        net.Conn // accepted from rank-1; this rank only receives on it

	opMu    sync.Mutex // serialises operations; guards the fields below it
	seq     uint64
	scratch []float32   // one chunk of incoming partial sums, grown on demand
	batch   net.Buffers // the writer's items for one writev, reused
	hdrIn   [headerLen]byte
	hdrOut  [headerLen]byte
	sent    progress // items (chunks) the writer has handed to the kernel
	recvd   progress // items (chunks) the receiver has finished, so may be forwarded

	mu     sync.Mutex
	err    error // first failure; once set, every call returns it
	closed bool

	// hookChunk, if set (tests only), runs on the receiving goroutine before
	// each chunk is read: step is the ring step, chunk the index within it.
	hookChunk func(op opCode, step, chunk int)
}

func newComm(cfg Config, next, prev net.Conn) *Comm {
	return &Comm{
		cfg: cfg, rank: cfg.Rank, world: cfg.World, next: next, prev: prev,
		sent: newProgress(), recvd: newProgress(),
		batch: make(net.Buffers, 0, maxBatch),
	}
}

// Rank returns this communicator's rank.
func (c *Comm) Rank() int { return c.rank }

// World returns the number of ranks.
func (c *Comm) World() int { return c.world }

// Err returns the error that broke the communicator, or nil.
func (c *Comm) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connections. In-flight and later operations fail with
// ErrClosed (unless an earlier error already broke the communicator), and the
// neighbours' operations fail with ErrPeer.
func (c *Comm) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.err == nil {
		c.err = &OpError{Op: "close", Seq: c.currentSeq(), Rank: c.rank, Peer: -1, Kind: ErrClosed, Err: errors.New("closed by caller")}
	}
	c.mu.Unlock()
	c.closeConns()
	return nil
}

// currentSeq reads seq without opMu; it only feeds error text, where a value
// one behind is harmless.
func (c *Comm) currentSeq() uint64 { return atomic.LoadUint64(&c.seq) }

func (c *Comm) closeConns() {
	for _, conn := range []net.Conn{c.next, c.prev} {
		if conn != nil {
			_ = conn.Close() // a second close only reports "already closed"
		}
	}
}

// opState is one running operation: its identity for error messages and the
// abort channel that stops the other goroutine when one side fails.
type opState struct {
	c     *Comm
	op    opCode
	seq   uint64
	abort chan struct{}
	once  sync.Once
}

// begin starts an operation: it checks the communicator is healthy, numbers
// the operation and arms the deadline on both connections. The caller holds
// opMu.
func (c *Comm) begin(op opCode) (*opState, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	seq := atomic.AddUint64(&c.seq, 1)
	s := &opState{c: c, op: op, seq: seq, abort: make(chan struct{})}
	if c.world == 1 {
		return s, nil
	}
	deadline := time.Now().Add(c.cfg.Timeout)
	if err := c.next.SetWriteDeadline(deadline); err != nil {
		s.fail(c.nextRank(), fmt.Errorf("arm write deadline: %w", err), nil)
		return nil, c.Err()
	}
	if err := c.prev.SetReadDeadline(deadline); err != nil {
		s.fail(c.prevRank(), fmt.Errorf("arm read deadline: %w", err), nil)
		return nil, c.Err()
	}
	c.sent.reset()
	c.recvd.reset()
	return s, nil
}

func (c *Comm) nextRank() int { return (c.rank + 1) % c.world }
func (c *Comm) prevRank() int { return (c.rank + c.world - 1) % c.world }

// fail records the first failure, breaks the communicator by closing its
// connections (so the neighbours notice at once and the failure travels
// around the ring) and aborts the operation's other goroutine. kind nil means
// classify the cause.
func (s *opState) fail(peer int, cause, kind error) {
	c := s.c
	c.mu.Lock()
	if c.err == nil {
		if kind == nil {
			kind = classify(cause, c.closed)
		}
		c.err = &OpError{Op: s.op.String(), Seq: s.seq, Rank: c.rank, Peer: peer, Kind: kind, Err: cause}
	}
	c.mu.Unlock()
	c.closeConns()
	s.once.Do(func() { close(s.abort) })
}

func classify(cause error, closed bool) error {
	switch {
	case closed:
		return ErrClosed
	case errors.Is(cause, os.ErrDeadlineExceeded), errors.Is(cause, context.DeadlineExceeded):
		return ErrTimeout
	default:
		return ErrPeer
	}
}

// result is what an operation returns once both its goroutines are done.
func (s *opState) result() error {
	select {
	case <-s.abort:
		return s.c.Err()
	default:
		return nil
	}
}

// write sends b to the successor; false means the operation failed.
func (s *opState) write(b []byte) bool {
	if _, err := s.c.next.Write(b); err != nil {
		s.fail(s.c.nextRank(), fmt.Errorf("send %d bytes: %w", len(b), err), nil)
		return false
	}
	return true
}

// maxBatch bounds the items in one writev (IOV_MAX is 1024).
const maxBatch = 64

// writev sends bufs to the successor in one gathering write where it can;
// it consumes bufs. False means the operation failed.
func (s *opState) writev(bufs net.Buffers) bool {
	var n int64
	var err error
	if bw, ok := s.c.next.(buffersWriter); ok {
		n, err = bw.WriteBuffers(bufs)
	} else {
		n, err = bufs.WriteTo(s.c.next)
	}
	if err != nil {
		s.fail(s.c.nextRank(), fmt.Errorf("send after %d bytes: %w", n, err), nil)
		return false
	}
	return true
}

// read fills b from the predecessor; false means the operation failed.
func (s *opState) read(b []byte) bool {
	if _, err := io.ReadFull(s.c.prev, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("connection closed: %w", err)
		}
		s.fail(s.c.prevRank(), fmt.Errorf("receive %d bytes: %w", len(b), err), nil)
		return false
	}
	return true
}

// writeHeader sends h to the successor.
func (s *opState) writeHeader(h header) bool {
	h.encode(&s.c.hdrOut)
	return s.write(s.c.hdrOut[:])
}

// readHeader receives the predecessor's header and checks it names the same
// operation. count < 0 accepts any count (BroadcastBytes learns it here).
func (s *opState) readHeader(root int, count int64) (header, bool) {
	if !s.read(s.c.hdrIn[:]) {
		return header{}, false
	}
	h, err := parseHeader(s.c.hdrIn[:])
	if err != nil {
		s.fail(s.c.prevRank(), err, ErrPeer)
		return header{}, false
	}
	if h.Op != s.op || h.Seq != s.seq || h.Root != root || (count >= 0 && h.Count != uint64(count)) {
		s.fail(s.c.prevRank(), fmt.Errorf("peer is at %s #%d root=%d count=%d, this rank at %s #%d root=%d count=%d",
			h.Op, h.Seq, h.Root, h.Count, s.op, s.seq, root, count), ErrMismatch)
		return header{}, false
	}
	return h, true
}

// progress is a monotone counter advanced by one goroutine and awaited by
// another. The atomic hands buffer regions over with a happens-before edge.
type progress struct {
	n    *atomic.Int64
	wake chan struct{}
}

func newProgress() progress { return progress{n: new(atomic.Int64), wake: make(chan struct{}, 1)} }

func (p progress) reset() {
	p.n.Store(0)
	select {
	case <-p.wake:
	default:
	}
}

func (p progress) add(k int) {
	p.n.Add(int64(k))
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// wait blocks until the counter reaches target; false means aborted.
func (p progress) wait(target int64, abort <-chan struct{}) bool {
	for p.n.Load() < target {
		select {
		case <-p.wake:
		case <-abort:
			return false
		}
	}
	return true
}
