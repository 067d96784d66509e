package collective

import (
	"bytes"
	"testing"
)

func FuzzParseHello(f *testing.F) {
	f.Add(hello{From: 0, To: 1, World: 2, Session: "attempt-7"}.encode())
	f.Add(hello{From: 3, To: 0, World: 4}.encode())
	f.Add([]byte("DXCL"))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add(append(hello{From: 0, To: 1, World: 2, Session: "ab"}.encode(), 'x'))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHello(b)
		if err != nil {
			return
		}
		if h.From >= h.World || h.To >= h.World || h.World < 1 {
			t.Fatalf("accepted out-of-range hello %+v", h)
		}
		if again := h.encode(); !bytes.Equal(again, b) {
			t.Fatalf("round trip: %x became %x", b, again)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, h := range []header{
		{Op: opAllReduceSum, Seq: 1, Count: 1000},
		{Op: opBroadcastBytes, Root: 3, Seq: 1 << 40, Count: 5},
		{Op: opBarrier, Flags: 2, Seq: 9},
	} {
		var b [headerLen]byte
		h.encode(&b)
		f.Add(b[:])
	}
	f.Add(make([]byte, headerLen))
	f.Add([]byte{0x01, 0xdc, 0x09})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			return
		}
		var again [headerLen]byte
		h.encode(&again)
		if !bytes.Equal(again[:], b) {
			t.Fatalf("round trip: %x became %x", b, again)
		}
	})
}
