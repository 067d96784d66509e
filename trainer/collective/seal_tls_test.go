package collective

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/internal/testutil"
)

// TestSealedSwitchKeepsBytesAfterLastRecord runs the real TLS handshake, hello
// and ack, with session tickets on, and has the acceptor send a sealed frame
// right behind its ack. The dialler reads the ack only once the frame is on its
// socket, so the buffer under its tls.Conn holds the frame: the switch must
// hand exactly those bytes to the sealed reader. Both directions then carry
// data, under keys that the two ends agree on and that differ by direction.
func TestSealedSwitchKeepsBytesAfterLastRecord(t *testing.T) {
	ca, caFile := newCA(t)
	dcfg, acfg := testConfig(2), testConfig(2)
	dcfg.Rank, acfg.Rank = 0, 1
	dcfg.ServerTLS, dcfg.ClientTLS = agentTLS(t, ca, caFile, "a0")
	acfg.ServerTLS, acfg.ClientTLS = agentTLS(t, ca, caFile, "a1")
	if acfg.ServerTLS.SessionTicketsDisabled {
		t.Fatal("the agent config disables session tickets: the test would not see them")
	}
	dsock, asock := socketPair(t)
	ctx := t.Context()
	first, reply := []byte("the acceptor speaks first"), []byte("and the dialler replies")

	spoke := make(chan struct{})
	accepted := make(chan *sealedLink, 1)
	acceptErr := make(chan error, 1)
	go func() {
		defer close(accepted)
		link, err := secureAccepted(ctx, acfg, asock)
		if err == nil {
			err = serverHandshake(ctx, acfg, link, 0)
		}
		if err == nil {
			link, err = sealLink(link, false, "from rank 0")
		}
		if err == nil {
			_, err = link.Write(first)
		}
		close(spoke)
		if err == nil {
			got := make([]byte, len(reply))
			if _, err = io.ReadFull(link, got); err == nil && !bytes.Equal(got, reply) {
				err = fmt.Errorf("acceptor read %q", got)
			}
			accepted <- link.(*sealedLink)
		}
		acceptErr <- err
	}()

	conn, err := secureDialled(ctx, dcfg, dsock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(hello{From: 0, To: 1, World: 2, Session: testSession}.encode()); err != nil {
		t.Fatal(err)
	}
	<-spoke
	time.Sleep(50 * time.Millisecond) // loopback delivers within the write; this is slack
	var ack [2]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil || ack != [2]byte{ackAccept, 0} {
		t.Fatalf("ack %v, %v", ack, err)
	}
	if got, want := conn.(*secureLink).raw.r.Buffered(), sealOverhead+len(first); got != want {
		t.Fatalf("%d bytes wait under the tls.Conn after the ack, want the sealed frame's %d", got, want)
	}
	sealed, err := sealLink(conn, true, "to rank 1")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(first))
	if _, err := io.ReadFull(sealed, got); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("dialler read %q, %v", got, err)
	}
	if _, err := sealed.Write(reply); err != nil {
		t.Fatal(err)
	}
	if err := <-acceptErr; err != nil {
		t.Fatal(err)
	}
	d, a := sealed.(*sealedLink), <-accepted
	switch {
	case d.wr.dir.secret != a.rd.dir.secret || d.rd.dir.secret != a.wr.dir.secret:
		t.Fatal("the two ends derived different keys")
	case d.wr.dir.secret == d.rd.dir.secret:
		t.Fatal("both directions have the same key")
	case d.wr.dir.secret == [sealSecretLen]byte{}:
		t.Fatal("no key was exported")
	}
}

// TestTLSRingRefusesTamperedFrame: one bit flipped on the wire, 1 MiB into the
// sealed stream from rank 0 to rank 1, fails rank 1's all-reduce with an error
// that names rank 0's link and the failed authentication, and every rank
// returns an error rather than a sum.
func TestTLSRingRefusesTamperedFrame(t *testing.T) {
	const world, n = 3, 1 << 20
	ca, caFile := newCA(t)
	comms := startWorld(t, world, func(r int, cfg *Config) {
		if r == 0 {
			cfg.Addrs = slices.Clone(cfg.Addrs)
			cfg.Addrs[1] = testutil.StartFlipProxy(t, cfg.Addrs[1], 1<<20).Addr()
		}
		cfg.ServerTLS, cfg.ClientTLS = agentTLS(t, ca, caFile, fmt.Sprintf("a%d", r))
	})
	bufs := randomVectors(world, n, 11)
	errs, _ := runAll(comms, func(r int, c *Comm) error { return c.AllReduceSum(bufs[r]) })
	for r, err := range errs {
		if err == nil {
			t.Errorf("rank %d finished an all-reduce whose data was tampered with", r)
		}
	}
	var oe *OpError
	err := errs[1]
	if !errors.As(err, &oe) || oe.Peer != 0 || !isKind(err, ErrPeer) || !errors.Is(err, errFrameAuth) ||
		!strings.Contains(err.Error(), "sealed link from rank 0") {
		t.Fatalf("rank 1: got %v, want ErrPeer with rank 0 naming the sealed link from rank 0 and the failed authentication", err)
	}
	t.Logf("rank 1: %v", err)
}

// TestSealedLinkSteadyStateAllocatesNothing: once a link's buffers and epoch
// cipher exist, writing and reading a 256 KiB chunk (one buffer or a writev
// batch) allocates nothing.
func TestSealedLinkSteadyStateAllocatesNothing(t *testing.T) {
	d, a := sealedPair(t, defaultEpochShift)
	chunk, in := make([]byte, 256<<10), make([]byte, 256<<10)
	batch := net.Buffers{chunk[:100], chunk[100 : 64<<10], chunk[64<<10 : 200<<10], chunk[200<<10:]}
	read := make(chan error)
	go func() {
		for {
			_, err := io.ReadFull(a, in)
			read <- err
			if err != nil {
				return
			}
		}
	}()
	defer d.Close()
	for name, send := range map[string]func() error{
		"Write":        func() error { _, err := d.Write(chunk); return err },
		"WriteBuffers": func() error { _, err := d.WriteBuffers(batch); return err },
	} {
		step := func() {
			if err := send(); err != nil {
				t.Fatal(err)
			}
			if err := <-read; err != nil {
				t.Fatal(err)
			}
		}
		step() // the first use allocates the buffers and the epoch's cipher
		if allocs := testing.AllocsPerRun(50, step); allocs != 0 {
			t.Errorf("%s and ReadFull of 256 KiB: %.1f allocations, want 0", name, allocs)
		}
	}
}
