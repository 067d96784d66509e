package gcm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

func newBoth(t testing.TB, key []byte) (vec *vectorGCM, std cipher.AEAD) {
	t.Helper()
	if !hasVectorAES {
		t.Skip("no VAES/VPCLMULQDQ/AVX-512 on this CPU: New returns crypto/cipher's GCM")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	std, err = cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return newVector(key, block), std
}

func TestExpandKeyFIPS197(t *testing.T) {
	// FIPS 197 appendix C: key 00 01 … and plaintext 00 11 22 … ff.
	pt := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	for _, keyLen := range []int{16, 24, 32} {
		key := make([]byte, keyLen)
		for i := range key {
			key[i] = byte(i)
		}
		var rk [maxRounds + 1][16]byte
		if got, want := expandKey(key, &rk), keyLen/4+6; got != want {
			t.Fatalf("%d-byte key: %d rounds, want %d", keyLen, got, want)
		}
		block, _ := aes.NewCipher(key)
		k := &newVector(key, block).keys
		var want [16]byte
		block.Encrypt(want[:], pt)
		// The vector CTR with a counter block of pt encrypts pt itself first.
		if !hasVectorAES {
			continue
		}
		var ctr [16]byte
		copy(ctr[:], pt)
		var ks [256]byte
		ctrAVX512(k, &ctr, &ks[0], &ks[0], len(ks))
		if !bytes.Equal(ks[:16], want[:]) {
			t.Fatalf("%d-byte key: E(pt) = %x, want %x", keyLen, ks[:16], want)
		}
	}
}

// TestSealOpenMatchCryptoCipher compares every length up to 1100 bytes and
// lengths around the chunk and vector boundaries, with aad of every length up
// to 40, for each key size, in place and out of place.
func TestSealOpenMatchCryptoCipher(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lengths := []int{}
	for n := 0; n <= 1100; n++ {
		lengths = append(lengths, n)
	}
	for _, base := range []int{4096, 2 * 4096, 3*4096 + 256, 1 << 20} {
		for d := -17; d <= 17; d++ {
			lengths = append(lengths, base+d)
		}
	}
	for _, keyLen := range []int{16, 24, 32} {
		key := randBytes(rng, keyLen)
		vec, std := newBoth(t, key)
		for _, n := range lengths {
			nonce, pt, aad := randBytes(rng, 12), randBytes(rng, n), randBytes(rng, n%41)
			want := std.Seal(nil, nonce, pt, aad)
			got := vec.Seal([]byte{0xEE}, nonce, pt, aad)
			if !bytes.Equal(got[1:], want) || got[0] != 0xEE {
				t.Fatalf("key %d, %d bytes, aad %d: Seal differs from crypto/cipher", keyLen, n, len(aad))
			}
			inPlace := append(make([]byte, 0, n+tagSize), pt...)
			inPlace = vec.Seal(inPlace[:0], nonce, inPlace, aad)
			if !bytes.Equal(inPlace, want) {
				t.Fatalf("key %d, %d bytes: in-place Seal differs", keyLen, n)
			}
			opened, err := vec.Open(nil, nonce, want, aad)
			if err != nil || !bytes.Equal(opened, pt) {
				t.Fatalf("key %d, %d bytes: Open of crypto/cipher's ciphertext: %v", keyLen, n, err)
			}
			opened, err = vec.Open(inPlace[:0], nonce, inPlace, aad)
			if err != nil || !bytes.Equal(opened, pt) {
				t.Fatalf("key %d, %d bytes: in-place Open: %v", keyLen, n, err)
			}
		}
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	key := randBytes(rng, 32)
	vec, _ := newBoth(t, key)
	for _, n := range []int{0, 1, 16, 255, 256, 5000} {
		nonce, pt, aad := randBytes(rng, 12), randBytes(rng, n), randBytes(rng, 7)
		sealed := vec.Seal(nil, nonce, pt, aad)
		for i := 0; i < len(sealed); i += max(1, len(sealed)/37) {
			bad := bytes.Clone(sealed)
			bad[i] ^= 1 << (i % 8)
			dst := make([]byte, 0, n)
			if out, err := vec.Open(dst, nonce, bad, aad); err == nil || out != nil {
				t.Fatalf("%d bytes: Open accepted a flipped bit at %d", n, i)
			}
			if n > 0 && !bytes.Equal(dst[:n], make([]byte, n)) {
				t.Fatalf("%d bytes: a refused Open left plaintext in dst", n)
			}
		}
		badAAD := bytes.Clone(aad)
		badAAD[0] ^= 0x80
		if _, err := vec.Open(nil, nonce, sealed, badAAD); err == nil {
			t.Fatalf("%d bytes: Open accepted changed additional data", n)
		}
		badNonce := bytes.Clone(nonce)
		badNonce[11] ^= 1
		if _, err := vec.Open(nil, badNonce, sealed, aad); err == nil {
			t.Fatalf("%d bytes: Open accepted another nonce", n)
		}
		if _, err := vec.Open(nil, nonce, sealed[:len(sealed)-1], aad); err == nil {
			t.Fatalf("%d bytes: Open accepted a truncated message", n)
		}
	}
	if _, err := vec.Open(nil, make([]byte, 12), make([]byte, 15), nil); err == nil {
		t.Fatal("Open accepted a message shorter than a tag")
	}
}

// TestCounterIsInc32 starts from counter words about to carry into their higher
// bytes, and from one about to wrap: GCM's inc32 carries within the last 32 bits
// and wraps there, leaving the nonce's bytes alone.
func TestCounterIsInc32(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	key := randBytes(rng, 16)
	vec, _ := newBoth(t, key)
	block, _ := aes.NewCipher(key)
	src := randBytes(rng, 3*4096+256)
	for _, start := range []uint32{0xff, 0xfff0, 0xfffff0, 0xfffffff0} {
		var ctr [16]byte
		copy(ctr[:12], randBytes(rng, 12))
		binary.BigEndian.PutUint32(ctr[12:], start)
		want := make([]byte, len(src))
		block0 := ctr
		for off := 0; off < len(src); off += 16 {
			var ks [16]byte
			block.Encrypt(ks[:], block0[:])
			subtle.XORBytes(want[off:off+16], src[off:off+16], ks[:])
			binary.BigEndian.PutUint32(block0[12:], binary.BigEndian.Uint32(block0[12:])+1)
		}
		got := make([]byte, len(src))
		c := ctr
		ctrAVX512(&vec.keys, &c, &got[0], &src[0], len(src))
		if !bytes.Equal(got, want) {
			t.Fatalf("counter from %#x: keystream differs from inc32 counter blocks", start)
		}
		if c != block0 {
			t.Fatalf("counter from %#x: left at %x, want %x", start, c, block0)
		}
	}
}

func TestNewFallsBackOrVector(t *testing.T) {
	a, err := New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, isVector := a.(*vectorGCM); isVector != hasVectorAES {
		t.Fatalf("New returned %T with hasVectorAES=%v", a, hasVectorAES)
	}
	if _, err := New(make([]byte, 17)); err == nil {
		t.Fatal("New accepted a 17-byte key")
	}
}

func FuzzSealMatchesCryptoCipher(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte("nonce-twelve"), []byte("hello"), []byte("aad"))
	f.Fuzz(func(t *testing.T, key, nonce, pt, aad []byte) {
		if len(key) < 32 || len(nonce) < 12 {
			return
		}
		vec, std := newBoth(t, key[:32])
		want := std.Seal(nil, nonce[:12], pt, aad)
		if got := vec.Seal(nil, nonce[:12], pt, aad); !bytes.Equal(got, want) {
			t.Fatalf("Seal differs from crypto/cipher on %d bytes", len(pt))
		}
		// Whatever bytes arrive as a ciphertext, Open agrees with crypto/cipher.
		_, stdErr := std.Open(nil, nonce[:12], pt, aad)
		_, vecErr := vec.Open(nil, nonce[:12], pt, aad)
		if (stdErr == nil) != (vecErr == nil) {
			t.Fatalf("Open of %d arbitrary bytes: crypto/cipher %v, vector %v", len(pt), stdErr, vecErr)
		}
	})
}

func TestSealOpenAllocateOnlyTheirResult(t *testing.T) {
	vec, _ := newBoth(t, make([]byte, 32))
	nonce, pt := make([]byte, 12), make([]byte, 5000)
	buf := make([]byte, 0, len(pt)+tagSize)
	allocs := testing.AllocsPerRun(20, func() {
		sealed := vec.Seal(buf[:0], nonce, pt, nonce)
		if _, err := vec.Open(sealed[:0], nonce, sealed, nonce); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Seal and Open into a buffer with room: %.1f allocations, want 0", allocs)
	}
}
