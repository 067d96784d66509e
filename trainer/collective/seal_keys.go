package collective

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
)

// Keys of a sealed link. Both ends export one secret per direction from the TLS
// 1.3 session that authenticated them (RFC 8446 §7.5, RFC 5705):
//
//	secret[0] = TLS-Exporter("EXPORTER-dxtrain-ring-v1", direction, 32)
//
// with direction "dialler to acceptor" or "acceptor to dialler", so the two
// directions never share a key. The exporter derives from the session's
// exporter_master_secret, which depends on the whole handshake (the ephemeral
// key exchange and both certificates), so the secret is fresh, known only to
// the two authenticated ends, and independent for distinct label and context.
//
// Each epoch (2^epochShift frames) takes its key and IV from its own secret,
// and ratchets the secret forward, as TLS 1.3's KeyUpdate does (§7.2):
//
//	key[e]      = HKDF-Expand(secret[e], "dxtrain ring v1 key", 32)
//	iv[e]       = HKDF-Expand(secret[e], "dxtrain ring v1 iv", 12)
//	secret[e+1] = HKDF-Expand(secret[e], "dxtrain ring v1 next", 32)
//
// (HKDF over SHA-256). The secret is a uniformly random 32-byte key, so
// HKDF-Expand under distinct labels is a PRF giving independent values; once an
// epoch's secret is overwritten its keys cannot be recomputed from the link's
// memory. Frame n's nonce is iv[e] XOR n (64-bit big-endian, right-aligned), as
// in TLS 1.3 records: n counts every frame of the direction, so no nonce repeats
// under a key.
//
// Why epochs: AES-GCM's safety margin shrinks with what one key seals. TLS 1.3
// (§5.5) allows 2^24.5 full 16 KiB records under one key, about 2^38.5 bytes,
// which keeps an attacker's advantage near 2^-57; an epoch of at most 2^32 bytes
// (4 GiB) stays about a hundredfold inside that, while a link of a long
// training run may carry terabytes.
const (
	sealExporterLabel = "EXPORTER-dxtrain-ring-v1"
	sealFromDialler   = "dialler to acceptor"
	sealFromAcceptor  = "acceptor to dialler"
	sealSecretLen     = 32
	sealKeyLen        = 32 // AES-256
	sealNonceLen      = 12
	sealLabelKey      = "dxtrain ring v1 key"
	sealLabelIV       = "dxtrain ring v1 iv"
	sealLabelNext     = "dxtrain ring v1 next"
	defaultEpochShift = 32 - maxSealedFrameLog // an epoch seals at most 2^32 bytes
)

// sealSecrets exports the two directions' first secrets from a TLS 1.3 session:
// what this end sends under, and what it receives under.
func sealSecrets(cs tls.ConnectionState, dialler bool) (send, recv []byte, err error) {
	if cs.Version != tls.VersionTLS13 {
		return nil, nil, fmt.Errorf("sealed links need TLS 1.3, the session is %s", tls.VersionName(cs.Version))
	}
	d2a, err := cs.ExportKeyingMaterial(sealExporterLabel, []byte(sealFromDialler), sealSecretLen)
	if err != nil {
		return nil, nil, fmt.Errorf("export keying material: %w", err)
	}
	a2d, err := cs.ExportKeyingMaterial(sealExporterLabel, []byte(sealFromAcceptor), sealSecretLen)
	if err != nil {
		return nil, nil, fmt.Errorf("export keying material: %w", err)
	}
	if dialler {
		return d2a, a2d, nil
	}
	return a2d, d2a, nil
}

// sealDir is one direction's key schedule and frame counter.
type sealDir struct {
	secret     [sealSecretLen]byte // the current epoch's secret
	epoch      uint64              // the epoch of secret and aead
	epochShift uint                // an epoch is 2^epochShift frames; lowered by tests
	aead       cipher.AEAD         // nil until the first frame
	iv         [sealNonceLen]byte
	nonce      [sealNonceLen]byte
	seq        uint64 // the next frame's number
}

func newSealDir(secret []byte) sealDir {
	d := sealDir{epochShift: defaultEpochShift}
	copy(d.secret[:], secret)
	return d
}

// next returns the AEAD and nonce of the next frame and counts it, entering a
// new epoch when the frame number crosses into one.
func (d *sealDir) next() (cipher.AEAD, []byte, uint64, error) {
	seq := d.seq
	if seq == ^uint64(0) {
		return nil, nil, seq, errors.New("frame numbers exhausted")
	}
	if e := seq >> d.epochShift; d.aead == nil || e != d.epoch {
		if err := d.enter(e); err != nil {
			return nil, nil, seq, err
		}
	}
	d.nonce = d.iv
	binary.BigEndian.PutUint64(d.nonce[4:], binary.BigEndian.Uint64(d.iv[4:])^seq)
	d.seq++
	return d.aead, d.nonce[:], seq, nil
}

// enter ratchets the secret forward to epoch e and derives its key and IV.
func (d *sealDir) enter(e uint64) error {
	for ; d.epoch < e; d.epoch++ {
		s, err := hkdf.Expand(sha256.New, d.secret[:], sealLabelNext, sealSecretLen)
		if err != nil {
			return fmt.Errorf("derive epoch secret: %w", err)
		}
		copy(d.secret[:], s)
		clear(s)
	}
	key, err := hkdf.Expand(sha256.New, d.secret[:], sealLabelKey, sealKeyLen)
	if err != nil {
		return fmt.Errorf("derive epoch key: %w", err)
	}
	defer clear(key)
	iv, err := hkdf.Expand(sha256.New, d.secret[:], sealLabelIV, sealNonceLen)
	if err != nil {
		return fmt.Errorf("derive epoch iv: %w", err)
	}
	copy(d.iv[:], iv)
	aead, err := newSealCipher(key)
	if err != nil {
		return fmt.Errorf("epoch cipher: %w", err)
	}
	if aead.NonceSize() != sealNonceLen || aead.Overhead() != sealTagLen {
		return fmt.Errorf("epoch cipher has a %d-byte nonce and %d-byte tag, want %d and %d",
			aead.NonceSize(), aead.Overhead(), sealNonceLen, sealTagLen)
	}
	d.aead = aead
	return nil
}
