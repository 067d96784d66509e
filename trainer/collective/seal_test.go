package collective

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSecrets are two directions' first secrets for links built without TLS.
var testSecrets = [2][]byte{bytes.Repeat([]byte{0x5a}, sealSecretLen), bytes.Repeat([]byte{0xa5}, sealSecretLen)}

// socketPair returns the two ends of a loopback TCP connection.
func socketPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

// sealedPair seals both ends of a loopback connection; an epoch is
// 2^epochShift frames.
func sealedPair(t testing.TB, epochShift uint) (dialler, acceptor *sealedLink) {
	t.Helper()
	a, b := socketPair(t)
	dialler = newSealedLink(a, nil, testSecrets[0], testSecrets[1], "test dialler")
	acceptor = newSealedLink(b, nil, testSecrets[1], testSecrets[0], "test acceptor")
	for _, l := range []*sealedLink{dialler, acceptor} {
		l.rd.dir.epochShift, l.wr.dir.epochShift = epochShift, epochShift
	}
	return dialler, acceptor
}

// sealStream returns the sealed frames of msgs, one Write each, as a sender
// with the first test secret writes them.
func sealStream(t testing.TB, msgs ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := sealWriter{w: &out, dir: newSealDir(testSecrets[0]), name: "test"}
	for _, m := range msgs {
		if _, err := w.add(m); err != nil {
			t.Fatal(err)
		}
		if _, err := w.flush(); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

func streamReader(src io.Reader) *sealReader {
	return &sealReader{src: src, dir: newSealDir(testSecrets[0]), name: "test"}
}

// TestSealedLinkReproducesStream: random writes (single buffers and writev
// batches, 0 to 3 MiB) and random reads (a byte to several frames) give back
// the exact stream, in both directions, with the default epochs and with a
// new key every four frames.
func TestSealedLinkReproducesStream(t *testing.T) {
	for _, shift := range []uint{defaultEpochShift, 2} {
		t.Run(map[bool]string{true: "default_epochs", false: "epoch_of_4_frames"}[shift == defaultEpochShift], func(t *testing.T) {
			t.Parallel()
			d, a := sealedPair(t, shift)
			var wg sync.WaitGroup
			wg.Go(func() { checkStream(t, d, a, 1) })
			wg.Go(func() { checkStream(t, a, d, 2) })
			wg.Wait()
			if shift != defaultEpochShift && (d.wr.dir.epoch == 0 || a.rd.dir.epoch != d.wr.dir.epoch) {
				t.Errorf("epochs: sender %d, receiver %d; want equal and past 0", d.wr.dir.epoch, a.rd.dir.epoch)
			}
		})
	}
}

func checkStream(t *testing.T, w, r *sealedLink, seed uint64) {
	const total = 24 << 20
	src := make([]byte, total)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	sizes := []int{0, 1, 19, 4 << 10, maxSealedFrame - 1, maxSealedFrame, maxSealedFrame + 1, 1 << 20, 3 << 20}
	pick := func(rng *rand.Rand) int {
		if rng.IntN(3) == 0 {
			return sizes[rng.IntN(len(sizes))]
		}
		return rng.IntN(3<<20 + 1)
	}
	werr := make(chan error, 1)
	go func() {
		wrng := rand.New(rand.NewPCG(seed, 2))
		for off := 0; off < total; {
			if wrng.IntN(2) == 0 {
				n := min(pick(wrng), total-off)
				if _, err := w.Write(src[off : off+n]); err != nil {
					werr <- err
					return
				}
				off += n
				continue
			}
			var batch net.Buffers
			for range 1 + wrng.IntN(6) {
				n := min(pick(wrng)/4, total-off)
				batch = append(batch, src[off:off+n])
				off += n
			}
			if _, err := w.WriteBuffers(batch); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	got := make([]byte, 0, total)
	buf := make([]byte, 4<<20)
	for len(got) < total {
		n := min(pick(rng), total-len(got))
		if n == 0 {
			continue
		}
		var err error
		if rng.IntN(2) == 0 {
			n, err = r.Read(buf[:n])
		} else {
			n, err = io.ReadFull(r, buf[:n])
		}
		got = append(got, buf[:n]...)
		if err != nil {
			t.Errorf("read after %d bytes: %v", len(got), err)
			return
		}
	}
	if err := <-werr; err != nil {
		t.Errorf("write: %v", err)
	}
	if i := firstByteDiff(got, src); i >= 0 {
		t.Errorf("stream differs at byte %d of %d", i, total)
	}
}

func firstByteDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestSealedLinkChangesKeyEachEpoch: a receiver that keeps the old key one
// frame longer than the sender fails exactly at the first frame of the new
// epoch.
func TestSealedLinkChangesKeyEachEpoch(t *testing.T) {
	var msgs [][]byte
	for i := range 6 {
		msgs = append(msgs, []byte{byte(i), 1, 2, 3})
	}
	var out bytes.Buffer
	w := sealWriter{w: &out, dir: newSealDir(testSecrets[0]), name: "test"}
	w.dir.epochShift = 2
	for _, m := range msgs {
		if _, err := w.add(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if w.dir.epoch != 1 {
		t.Fatalf("sender in epoch %d after 6 frames of 4 an epoch, want 1", w.dir.epoch)
	}
	for _, tc := range []struct {
		shift uint
		good  int // frames that open
	}{{2, 6}, {3, 4}} {
		r := streamReader(bytes.NewReader(out.Bytes()))
		r.dir.epochShift = tc.shift
		got := 0
		var err error
		for err == nil {
			var p [4]byte
			if _, err = io.ReadFull(readerFunc(r.read), p[:]); err == nil {
				if p[0] != byte(got) {
					t.Fatalf("epochs of %d frames: frame %d carries %d", 1<<tc.shift, got, p[0])
				}
				got++
			}
		}
		if got != tc.good {
			t.Errorf("epochs of %d frames: %d frames opened, want %d (then %v)", 1<<tc.shift, got, tc.good, err)
		}
		if tc.good < len(msgs) && !errors.Is(err, errFrameAuth) {
			t.Errorf("epochs of %d frames: got %v, want a failed authentication", 1<<tc.shift, err)
		}
	}
}

// onlyBytes reports whether every byte of b is one of allowed.
func onlyBytes(b []byte, allowed ...byte) bool {
	for _, c := range b {
		if bytes.IndexByte(allowed, c) < 0 {
			return false
		}
	}
	return true
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestSealedReaderRefusesBadStreams: tampered, reordered, truncated and
// malformed streams are errors that name the link and the fault, carry no
// plaintext, leave the destination zeroed and stay errors.
func TestSealedReaderRefusesBadStreams(t *testing.T) {
	secret := bytes.Repeat([]byte("secret!"), 1000) // 7000 bytes: one frame
	good := sealStream(t, []byte("first frame"), secret, []byte("third"))
	first := sealOverhead + len("first frame")
	flip := func(off int) []byte {
		b := bytes.Clone(good)
		b[off] ^= 0x40
		return b
	}
	tests := []struct {
		name   string
		stream []byte
		read   int    // bytes asked for per read
		before int    // plaintext bytes that may come back before the error
		want   error  // errors.Is target
		text   string // in the message
	}{
		{"ciphertext_flipped", flip(first + sealHeaderLen + 100), 8000, len("first frame"), errFrameAuth, "frame 1"},
		{"ciphertext_flipped_small_reads", flip(first + sealHeaderLen + 100), 3, len("first frame"), errFrameAuth, "frame 1"},
		{"tag_flipped", flip(first + sealHeaderLen + len(secret) + 3), 8000, len("first frame"), errFrameAuth, "failed authentication"},
		{"length_changed", flip(first + 3), 8000, len("first frame"), errFrameAuth, "frame 1"},
		{"frames_reordered", append(append(bytes.Clone(good[first:first+sealOverhead+len(secret)]), good[:first]...), good[first+sealOverhead+len(secret):]...), 8000, 0, errFrameAuth, "frame 0"},
		{"frame_dropped", append(bytes.Clone(good[:first]), good[first+sealOverhead+len(secret):]...), 8000, len("first frame"), errFrameAuth, "frame 1"},
		{"zero_length", append(bytes.Clone(good[:first]), 0, 0, 0, 0), 8000, len("first frame"), errFrameLength, "zero length"},
		{"oversized_length", append(bytes.Clone(good[:first]), 0, 0x04, 0, 1), 8000, len("first frame"), errFrameLength, "over the 262144-byte limit"},
		{"ends_inside_frame", good[:first+sealOverhead+100], 8000, len("first frame"), io.ErrUnexpectedEOF, "stream ends inside frame 1"},
		{"ends_inside_header", good[:first+2], 8000, len("first frame"), io.ErrUnexpectedEOF, "stream ends inside frame 1"},
		{"untouched", good, 8000, 0, nil, ""}, // the control: reads to the end
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := streamReader(bytes.NewReader(tc.stream))
			var got []byte
			var err error
			for err == nil && len(got) < 1<<20 {
				p := bytes.Repeat([]byte{0xee}, tc.read)
				var n int
				n, err = r.read(p)
				got = append(got, p[:n]...)
				if err != nil && !onlyBytes(p[n:], 0xee, 0) {
					t.Errorf("the failed read left bytes other than the caller's or zeros past n=%d", n)
				}
			}
			if tc.want == nil {
				if err != io.EOF || string(got) != "first frame"+string(secret)+"third" {
					t.Fatalf("got %d bytes and %v, want the three frames and io.EOF", len(got), err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), "sealed link test") {
				t.Fatalf("got %v, want %v naming the link and %q", err, tc.want, tc.text)
			}
			if len(got) > tc.before {
				t.Fatalf("%d bytes came back before the error, want at most %d", len(got), tc.before)
			}
			if strings.Contains(err.Error(), "secret!") || strings.Contains(err.Error(), "first frame") {
				t.Fatalf("the error carries plaintext: %v", err)
			}
			if _, again := r.read(make([]byte, 10)); again != err {
				t.Fatalf("the next read gave %v, want the same error", again)
			}
		})
	}
}

// TestSealedReaderZeroesFailedFrame: a frame opened straight into the caller's
// slice that fails leaves that part of the slice zeroed.
func TestSealedReaderZeroesFailedFrame(t *testing.T) {
	msg := bytes.Repeat([]byte{7}, 5000)
	stream := sealStream(t, msg)
	stream[sealHeaderLen+4999] ^= 1 // the last ciphertext byte
	r := streamReader(bytes.NewReader(stream))
	p := bytes.Repeat([]byte{0xee}, 6000)
	n, err := r.read(p)
	if n != 0 || !errors.Is(err, errFrameAuth) {
		t.Fatalf("read = %d, %v; want 0 and a failed authentication", n, err)
	}
	if !bytes.Equal(p[:5000], make([]byte, 5000)) || !bytes.Equal(p[5000:], bytes.Repeat([]byte{0xee}, 1000)) {
		t.Fatal("the destination was not zeroed where the frame was opened, or was written past it")
	}
}

// TestSealedLinkFailsFastOnSockets: over a real socket, a truncated frame and
// an oversized length are errors at once, not waits for bytes that never come.
func TestSealedLinkFailsFastOnSockets(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes []byte
		close bool
		want  error
	}{
		{"truncated_then_closed", sealStream(t, bytes.Repeat([]byte{1}, 3000))[:1000], true, io.ErrUnexpectedEOF},
		{"oversized_length_left_open", []byte{0xff, 0xff, 0xff, 0xff}, false, errFrameLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := socketPair(t)
			r := newSealedLink(b, nil, testSecrets[1], testSecrets[0], "from test peer")
			if _, err := a.Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
			if tc.close {
				_ = a.Close()
			}
			_ = r.SetReadDeadline(time.Now().Add(10 * time.Second))
			start := time.Now()
			_, err := io.ReadFull(r, make([]byte, 3000))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "from test peer") {
				t.Fatalf("got %v, want %v naming the link", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("the error took %v", d)
			}
		})
	}
}

// TestSealedLinkDeadlinesAndClose: a read deadline is a timeout that leaves
// the link usable, and Close ends a blocked read at once.
func TestSealedLinkDeadlinesAndClose(t *testing.T) {
	d, a := sealedPair(t, defaultEpochShift)
	_ = a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := a.Read(make([]byte, 10)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	_ = a.SetReadDeadline(time.Time{})
	if _, err := d.Write([]byte("after the timeout")); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, len("after the timeout"))
	if _, err := io.ReadFull(a, p); err != nil || string(p) != "after the timeout" {
		t.Fatalf("read after a timeout: %q, %v", p, err)
	}
	if a.LocalAddr() == nil || a.RemoteAddr().String() != d.LocalAddr().String() {
		t.Fatalf("addresses %v → %v do not match the socket", a.RemoteAddr(), d.LocalAddr())
	}
	done := make(chan error, 1)
	go func() { _, err := a.Read(p); done <- err }()
	time.Sleep(20 * time.Millisecond)
	_ = a.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on a closed link: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked read")
	}
	if _, err := d.Read(p); err != io.EOF {
		t.Fatalf("the peer of a closed link read %v, want io.EOF", err)
	}
}
