package storage

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// An encrypted object is a fixed 80-byte header, then the object's plaintext as a DARE
// 2.0 stream (github.com/minio/sio: AES-256-GCM in 64 KiB packages, each authenticated,
// the last one marked final so truncation is detected) under a random per-object data
// key. The header:
//
//	0   magic "DXENC1\n\x00" (the 1 is the format version)
//	8   flags: bit 0 = the plaintext is empty (DARE writes no package for it)
//	9   3 reserved bytes, zero
//	12  ID of the KEK that wrapped the data key (KEK.ID)
//	20  12-byte GCM nonce
//	32  the 32-byte data key sealed with AES-256-GCM under the KEK's wrap key (48 bytes)
//	80
//
// The seal's associated data is header bytes 0–31 followed by the object key, so a
// header moved to another key, or a changed flag or KEK ID, fails to unwrap. Objects not
// starting with the magic are plaintext written before encryption was turned on.
const (
	encMagic      = "DXENC1\n\x00"
	encHeaderSize = 80
	encFlagEmpty  = 1 << 0
	dataKeySize   = 32
)

// encHeader is a parsed header.
type encHeader struct {
	flags   byte
	kekID   [8]byte
	nonce   [12]byte
	wrapped [dataKeySize + 16]byte
}

func (h *encHeader) empty() bool { return h.flags&encFlagEmpty != 0 }

func (h *encHeader) kekIDString() string { return hex.EncodeToString(h.kekID[:]) }

// hasEncMagic reports whether b starts an encrypted object.
func hasEncMagic(b []byte) bool { return bytes.HasPrefix(b, []byte(encMagic)) }

// errHeader describes a header that carries the magic but cannot be used.
var errHeader = errors.New("malformed encryption header")

// parseEncHeader parses the header at the start of b (which must carry the magic).
func parseEncHeader(b []byte) (encHeader, error) {
	var h encHeader
	if !hasEncMagic(b) {
		return h, fmt.Errorf("%w: no magic", errHeader)
	}
	if len(b) < encHeaderSize {
		return h, fmt.Errorf("%w: %d bytes, want %d", errHeader, len(b), encHeaderSize)
	}
	h.flags = b[8]
	if h.flags&^encFlagEmpty != 0 {
		return h, fmt.Errorf("%w: unknown flags %#02x", errHeader, h.flags)
	}
	if b[9]|b[10]|b[11] != 0 {
		return h, fmt.Errorf("%w: reserved bytes are not zero", errHeader)
	}
	copy(h.kekID[:], b[12:20])
	copy(h.nonce[:], b[20:32])
	copy(h.wrapped[:], b[32:encHeaderSize])
	return h, nil
}

// marshal renders the header.
func (h *encHeader) marshal() []byte {
	b := make([]byte, encHeaderSize)
	copy(b, encMagic)
	b[8] = h.flags
	copy(b[12:20], h.kekID[:])
	copy(b[20:32], h.nonce[:])
	copy(b[32:], h.wrapped[:])
	return b
}

// aad is what the data key's seal authenticates besides the key itself.
func (h *encHeader) aad(objectKey string) []byte {
	return append(h.marshal()[:32], objectKey...)
}

// sealHeader wraps dataKey under kek for objectKey.
func sealHeader(kek KEK, objectKey string, dataKey []byte, empty bool) (encHeader, error) {
	h := encHeader{kekID: kek.id}
	if empty {
		h.flags = encFlagEmpty
	}
	if _, err := io.ReadFull(rand.Reader, h.nonce[:]); err != nil {
		return h, err
	}
	aead, err := wrapAEAD(kek)
	if err != nil {
		return h, err
	}
	aead.Seal(h.wrapped[:0], h.nonce[:], dataKey, h.aad(objectKey))
	return h, nil
}

// openHeader unwraps the data key; it fails when kek is not the one that wrapped it or
// the header (or its object key) was changed.
func openHeader(kek KEK, objectKey string, h encHeader) ([]byte, error) {
	aead, err := wrapAEAD(kek)
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, h.nonce[:], h.wrapped[:], h.aad(objectKey))
}

func wrapAEAD(kek KEK) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kek.wrapKey())
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
