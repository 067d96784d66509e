package storage

import (
	"bytes"
	"io"
	"log/slog"
	"testing"
)

// FuzzEncHeader feeds arbitrary objects to the header parser and to the whole read path
// of an encrypted store: nothing may panic, a parsed header must marshal back to the
// bytes it came from, and bytes that are not an object written under the KEK must never
// read back as plaintext unless they lack the magic (legacy objects).
func FuzzEncHeader(f *testing.F) {
	kek, err := NewKEK(bytes.Repeat([]byte{7}, KEKSize))
	if err != nil {
		f.Fatal(err)
	}
	h, _ := sealHeader(kek, "k", make([]byte, dataKeySize), false)
	good := h.marshal()
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte(encMagic))
	f.Add([]byte("DXE"))
	f.Add([]byte("plain text object"))
	f.Add([]byte{})
	empty, _ := sealHeader(kek, "k", make([]byte, dataKeySize), true)
	f.Add(empty.marshal())
	f.Add(append(good, bytes.Repeat([]byte{1}, 200)...))
	s := &EncryptedStore{enc: Encryption{KEK: kek, Plaintext: PlaintextWarn}, log: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := parseEncHeader(b); err == nil {
			if !bytes.Equal(h.marshal(), b[:encHeaderSize]) {
				t.Fatalf("header does not round-trip: %x", b[:encHeaderSize])
			}
		}
		rc, err := s.open("k", io.NopCloser(bytes.NewReader(b)))
		if err != nil {
			return
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err == nil && hasEncMagic(b) && len(got) > 0 {
			// Only a real DARE stream under a data key wrapped for "k" decrypts, and the
			// fuzzer cannot forge one without the KEK.
			t.Fatalf("forged encrypted object read as %d bytes of plaintext", len(got))
		}
	})
}
