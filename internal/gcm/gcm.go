package gcm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"
)

const (
	nonceSize = 12
	tagSize   = 16
	maxRounds = 14
	// maxPlaintext is SP 800-38D's limit for a 96-bit nonce: 2³²−2 blocks.
	maxPlaintext = (1<<32 - 2) * 16
)

// errOpen is the only error Open returns, as crypto/cipher's: nothing about
// which check failed helps anyone but an attacker.
var errOpen = errors.New("gcm: message authentication failed")

// New returns AES-GCM with a 12-byte nonce and a 16-byte tag for a 16-, 24- or
// 32-byte key: the vector implementation where the CPU has VAES, VPCLMULQDQ and
// AVX-512, crypto/cipher's elsewhere. Both give the same bytes.
func New(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	if !hasVectorAES {
		return cipher.NewGCM(block)
	}
	return newVector(key, block), nil
}

// vectorGCM is AES-GCM on the assembly in gcm_amd64.s. Nothing in Seal or Open
// calls through an interface, so nothing they keep on the stack escapes.
type vectorGCM struct{ keys vectorKeys }

// vectorKeys is what the assembly reads, laid out for whole-vector loads.
type vectorKeys struct {
	rk4     [maxRounds + 1][64]byte // each round key four times: one per lane
	powers  [16]fieldElem           // H¹⁶ … H¹ in stored form, in lane order
	middles [16]fieldElem           // lo⊕hi of each power, Karatsuba's middle factor
	rounds  int
}

// newVector takes crypto/aes's block of the same key for the hash key.
func newVector(key []byte, block cipher.Block) *vectorGCM {
	g := &vectorGCM{}
	k := &g.keys
	var rk [maxRounds + 1][16]byte
	k.rounds = expandKey(key, &rk)
	for r := range rk {
		for lane := 0; lane < 4; lane++ {
			copy(k.rk4[r][16*lane:], rk[r][:])
		}
	}
	clear(rk[:])
	var h [16]byte
	block.Encrypt(h[:], h[:])
	hk := keyFromH(reflect(h[:]))
	p := hk
	for i := 15; i >= 0; i-- {
		k.powers[i] = p
		k.middles[i] = fieldElem{lo: p.lo ^ p.hi, hi: p.lo ^ p.hi}
		p = mul(p, hk)
	}
	return g
}

func (g *vectorGCM) NonceSize() int { return nonceSize }
func (g *vectorGCM) Overhead() int  { return tagSize }

// Seal appends the encryption of plaintext and its tag over aad to dst.
func (g *vectorGCM) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if len(nonce) != nonceSize {
		panic("gcm: incorrect nonce length given to GCM")
	}
	if uint64(len(plaintext)) > maxPlaintext {
		panic("gcm: message too large for GCM")
	}
	ret, out := grow(dst, len(plaintext)+tagSize)
	if inexactOverlap(out, plaintext) {
		panic("gcm: invalid buffer overlap")
	}
	var j0 [16]byte
	x := g.start(&j0, nonce, aad)
	ctr := next(j0)
	g.crypt(out[:len(plaintext)], plaintext, &ctr, &x, true)
	g.tag(out[len(plaintext):], x, &j0, len(aad), len(plaintext))
	return ret
}

// Open authenticates ciphertext and aad and appends the plaintext to dst. On
// failure it returns an error and zeroes what it wrote.
func (g *vectorGCM) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != nonceSize {
		panic("gcm: incorrect nonce length given to GCM")
	}
	if len(ciphertext) < tagSize || uint64(len(ciphertext)) > maxPlaintext+tagSize {
		return nil, errOpen
	}
	n := len(ciphertext) - tagSize
	tag := ciphertext[n:]
	ret, out := grow(dst, n)
	if inexactOverlap(out, ciphertext) {
		panic("gcm: invalid buffer overlap")
	}
	var j0 [16]byte
	x := g.start(&j0, nonce, aad)
	ctr := next(j0)
	g.crypt(out, ciphertext[:n], &ctr, &x, false)
	var want [tagSize]byte
	g.tag(want[:], x, &j0, len(aad), n)
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// start sets j0 to the pre-counter block of nonce and returns the hash of aad.
func (g *vectorGCM) start(j0 *[16]byte, nonce, aad []byte) fieldElem {
	copy(j0[:], nonce)
	j0[15] = 1
	var x fieldElem
	g.hashPadded(&x, aad)
	return x
}

// crypt XORs src with the keystream into dst and hashes the ciphertext, dst
// after encrypting when sealing, src before decrypting when opening, so dst may
// be src. Whole 256-byte steps go through the stitched loop; sealing hashes one
// step behind it, since a step's ciphertext exists only at its end.
func (g *vectorGCM) crypt(dst, src []byte, ctr *[16]byte, x *fieldElem, sealing bool) {
	k := &g.keys
	full := len(src) &^ 255
	switch {
	case full == 0:
	case sealing:
		ctrAVX512(k, ctr, &dst[0], &src[0], 256)
		if full > 256 {
			ctrHashAVX512(k, ctr, x, &dst[256], &src[256], &dst[0], full-256)
		}
		ghashAVX512(x, k, &dst[full-256], 256)
	default:
		ctrHashAVX512(k, ctr, x, &dst[0], &src[0], &src[0], full)
	}
	tail := len(src) - full
	if tail == 0 {
		return
	}
	// The last partial 256 bytes go through a zero-padded copy: the padding is
	// GHASH's, and the keystream beyond the message is discarded.
	var buf [256]byte
	copy(buf[:], src[full:])
	if !sealing {
		g.hashPadded(x, buf[:tail])
	}
	ctrAVX512(k, ctr, &buf[0], &buf[0], len(buf))
	copy(dst[full:], buf[:tail])
	if sealing {
		clear(buf[tail:])
		g.hashPadded(x, buf[:tail])
	}
}

// hashPadded folds b, zero-padded to whole blocks, into x.
func (g *vectorGCM) hashPadded(x *fieldElem, b []byte) {
	if whole := len(b) &^ 15; whole > 0 {
		ghashBlocks(x, &g.keys.powers[15], &b[0], whole)
		b = b[whole:]
	}
	if len(b) > 0 {
		var last [16]byte
		copy(last[:], b)
		ghashBlocks(x, &g.keys.powers[15], &last[0], len(last))
	}
}

// tag writes GHASH's last block (the bit lengths) and the masked result to out.
func (g *vectorGCM) tag(out []byte, x fieldElem, j0 *[16]byte, aadLen, textLen int) {
	var lens [16]byte
	binary.BigEndian.PutUint64(lens[:8], uint64(aadLen)*8)
	binary.BigEndian.PutUint64(lens[8:], uint64(textLen)*8)
	ghashBlocks(&x, &g.keys.powers[15], &lens[0], len(lens))
	var mask [16]byte
	encryptBlock(&g.keys, &mask, j0)
	x.bytes(out)
	subtle.XORBytes(out, out, mask[:])
}

// next is inc32(j0), the first counter block of the message.
func next(j0 [16]byte) [16]byte {
	binary.BigEndian.PutUint32(j0[12:], binary.BigEndian.Uint32(j0[12:])+1)
	return j0
}

// grow extends in by n bytes, as crypto/cipher's sliceForAppend.
func grow(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}

// inexactOverlap reports whether x and y share memory at different offsets,
// which the in-place passes cannot handle (crypto/cipher refuses it too).
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	return uintptr(unsafe.Pointer(&x[0])) <= uintptr(unsafe.Pointer(&y[len(y)-1])) &&
		uintptr(unsafe.Pointer(&y[0])) <= uintptr(unsafe.Pointer(&x[len(x)-1]))
}
