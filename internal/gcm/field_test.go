package gcm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// refSeal is AES-GCM from this package's field arithmetic and crypto/aes's
// block cipher: it checks the representation and the reduction (field.go)
// before the assembly is tested against them.
func refSeal(key, nonce, plaintext, aad []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	var h [16]byte
	block.Encrypt(h[:], h[:])
	hk := keyFromH(reflect(h[:]))
	var ctr, j0 [16]byte
	copy(j0[:], nonce)
	j0[15] = 1
	ctr = j0
	out := make([]byte, len(plaintext))
	var ks [16]byte
	for i := 0; i < len(plaintext); i += 16 {
		binary.BigEndian.PutUint32(ctr[12:], binary.BigEndian.Uint32(ctr[12:])+1)
		block.Encrypt(ks[:], ctr[:])
		for j := i; j < min(i+16, len(plaintext)); j++ {
			out[j] = plaintext[j] ^ ks[j-i]
		}
	}
	x := ghashRef(fieldElem{}, hk, padded(aad))
	x = ghashRef(x, hk, padded(out))
	var lens [16]byte
	binary.BigEndian.PutUint64(lens[:8], uint64(len(aad))*8)
	binary.BigEndian.PutUint64(lens[8:], uint64(len(plaintext))*8)
	x = ghashRef(x, hk, lens[:])
	var tag [16]byte
	x.bytes(tag[:])
	block.Encrypt(j0[:], j0[:])
	for i := range tag {
		tag[i] ^= j0[i]
	}
	return append(out, tag[:]...)
}

func padded(b []byte) []byte {
	return append(append([]byte(nil), b...), make([]byte, (16-len(b)%16)%16)...)
}

func stdSeal(t testing.TB, key, nonce, plaintext, aad []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return g.Seal(nil, nonce, plaintext, aad)
}

func TestFieldArithmeticMatchesCryptoCipher(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, keyLen := range []int{16, 24, 32} {
		for _, n := range []int{0, 1, 15, 16, 17, 64, 255, 256, 1000} {
			key, nonce := randBytes(rng, keyLen), randBytes(rng, 12)
			pt, aad := randBytes(rng, n), randBytes(rng, rng.IntN(40))
			if got, want := refSeal(key, nonce, pt, aad), stdSeal(t, key, nonce, pt, aad); !bytes.Equal(got, want) {
				t.Fatalf("key %d bytes, %d-byte plaintext: reference GCM differs from crypto/cipher", keyLen, n)
			}
		}
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
