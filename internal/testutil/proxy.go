package testutil

import (
	"bytes"
	"net"
	"sync"
	"testing"
)

// RecordingProxy forwards TCP connections to a target and keeps every byte that
// crosses it in either direction: the packet capture of tests that prove a link
// carries no plaintext.
type RecordingProxy struct {
	ln  net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

// StartProxy listens on a loopback port and forwards to target until the test ends.
func StartProxy(t testing.TB, target string) *RecordingProxy { return startProxy(t, target, -1) }

// StartFlipProxy is StartProxy that also flips the low bit of byte at of what
// each client sends (replies pass untouched): a tamperer on the wire.
func StartFlipProxy(t testing.TB, target string, at int64) *RecordingProxy {
	return startProxy(t, target, at)
}

func startProxy(t testing.TB, target string, flipAt int64) *RecordingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &RecordingProxy{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			go p.pipe(out, in, flipAt)
			go p.pipe(in, out, -1)
		}
	}()
	return p
}

// Addr is where to connect instead of the target.
func (p *RecordingProxy) Addr() string { return p.ln.Addr().String() }

// pipe copies src to dst, recording what passes and flipping byte flipAt (if
// not negative) of the stream on its way.
func (p *RecordingProxy) pipe(dst, src net.Conn, flipAt int64) {
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if flipAt >= off && flipAt < off+int64(n) {
				buf[flipAt-off] ^= 0x01
			}
			off += int64(n)
			p.mu.Lock()
			p.buf.Write(buf[:n])
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			_ = dst.Close()
			_ = src.Close()
			return
		}
	}
}

// Captured is a copy of every byte seen so far.
func (p *RecordingProxy) Captured() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.buf.Bytes())
}
