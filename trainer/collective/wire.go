package collective

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

// Wire format. All integers are little-endian.
//
// hello (dialler → acceptor, once per connection):
//
//	magic "DXCL" | version u16 | from u32 | to u32 | world u32 | session_len u8 | session
//
// ack (acceptor → dialler): status u8 (0 accept, 1 reject) | reason_len u8 | reason
//
// op header (before every operation's data, on every connection it uses):
//
//	magic u16 0xDC01 | op u8 | flags u8 | root u32 | seq u64 | count u64
//
// Payloads follow as raw bytes; float32 payloads are little-endian IEEE 754.
const (
	helloMagic    = "DXCL"
	wireVersion   = 2 // 2: a link in TLS carries sealed frames after the ack (sealed_link.go)
	helloFixedLen = 4 + 2 + 4 + 4 + 4 + 1
	headerMagic   = 0xDC01
	headerLen     = 24
	ackAccept     = 0
	ackReject     = 1
)

// hello is what a dialler says about itself and whom it wants to reach.
type hello struct {
	From, To, World int
	Session         string
}

func (h hello) encode() []byte {
	b := make([]byte, 0, helloFixedLen+len(h.Session))
	b = append(b, helloMagic...)
	b = binary.LittleEndian.AppendUint16(b, wireVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(h.From))
	b = binary.LittleEndian.AppendUint32(b, uint32(h.To))
	b = binary.LittleEndian.AppendUint32(b, uint32(h.World))
	b = append(b, byte(len(h.Session)))
	return append(b, h.Session...)
}

var errShortHello = errors.New("hello too short")

// parseHelloFixed decodes the fixed part of a hello and returns the session
// length still to read.
func parseHelloFixed(b []byte) (hello, int, error) {
	if len(b) < helloFixedLen {
		return hello{}, 0, fmt.Errorf("parse hello: %d bytes, want %d: %w", len(b), helloFixedLen, errShortHello)
	}
	if string(b[:4]) != helloMagic {
		return hello{}, 0, fmt.Errorf("parse hello: bad magic %q, want %q", b[:4], helloMagic)
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != wireVersion {
		return hello{}, 0, fmt.Errorf("parse hello: wire version %d, want %d", v, wireVersion)
	}
	from := binary.LittleEndian.Uint32(b[6:])
	to := binary.LittleEndian.Uint32(b[10:])
	world := binary.LittleEndian.Uint32(b[14:])
	if world < 1 || world > maxWorld || from >= world || to >= world {
		return hello{}, 0, fmt.Errorf("parse hello: from=%d to=%d world=%d out of range", from, to, world)
	}
	return hello{From: int(from), To: int(to), World: int(world)}, int(b[18]), nil
}

// parseHello decodes a complete hello (fixed part and session).
func parseHello(b []byte) (hello, error) {
	h, n, err := parseHelloFixed(b)
	if err != nil {
		return hello{}, err
	}
	if rest := b[helloFixedLen:]; len(rest) != n {
		return hello{}, fmt.Errorf("parse hello: session of %d bytes, header says %d", len(rest), n)
	}
	h.Session = string(b[helloFixedLen:])
	return h, nil
}

func encodeAck(status byte, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	return append([]byte{status, byte(len(reason))}, reason...)
}

// opCode names an operation on the wire.
type opCode uint8

const (
	opAllReduceSum opCode = iota + 1
	opAllReduceMean
	opBroadcast
	opBroadcastBytes
	opBarrier
)

func (o opCode) String() string {
	switch o {
	case opAllReduceSum:
		return "all-reduce-sum"
	case opAllReduceMean:
		return "all-reduce-mean"
	case opBroadcast:
		return "broadcast"
	case opBroadcastBytes:
		return "broadcast-bytes"
	case opBarrier:
		return "barrier"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// header precedes each operation's data so that ranks which disagree on the
// sequence of collectives fail loudly instead of reducing the wrong buffers.
type header struct {
	Op    opCode
	Flags uint8
	Root  int
	Seq   uint64
	Count uint64
}

func (h header) encode(b *[headerLen]byte) {
	binary.LittleEndian.PutUint16(b[0:], headerMagic)
	b[2] = byte(h.Op)
	b[3] = h.Flags
	binary.LittleEndian.PutUint32(b[4:], uint32(h.Root))
	binary.LittleEndian.PutUint64(b[8:], h.Seq)
	binary.LittleEndian.PutUint64(b[16:], h.Count)
}

func parseHeader(b []byte) (header, error) {
	if len(b) != headerLen {
		return header{}, fmt.Errorf("parse op header: %d bytes, want %d", len(b), headerLen)
	}
	if m := binary.LittleEndian.Uint16(b); m != headerMagic {
		return header{}, fmt.Errorf("parse op header: bad magic %#04x, want %#04x (stream out of step)", m, headerMagic)
	}
	h := header{
		Op:    opCode(b[2]),
		Flags: b[3],
		Root:  int(binary.LittleEndian.Uint32(b[4:])),
		Seq:   binary.LittleEndian.Uint64(b[8:]),
		Count: binary.LittleEndian.Uint64(b[16:]),
	}
	if h.Op < opAllReduceSum || h.Op > opBarrier {
		return header{}, fmt.Errorf("parse op header: unknown op %d", h.Op)
	}
	return h, nil
}

// littleEndianHost reports whether float32 memory already has the wire byte
// order; Join refuses big-endian hosts rather than converting.
var littleEndianHost = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// floatBytes views a float32 slice as its bytes without copying.
func floatBytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}
