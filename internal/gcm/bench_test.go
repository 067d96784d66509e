package gcm

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"testing"
)

// BenchmarkSeal and BenchmarkOpen compare this package with crypto/cipher's GCM
// on the ring's frame sizes, in place, AES-256.
func BenchmarkSeal(b *testing.B) { benchAEAD(b, true) }
func BenchmarkOpen(b *testing.B) { benchAEAD(b, false) }

func benchAEAD(b *testing.B, sealing bool) {
	key := make([]byte, 32)
	block, _ := aes.NewCipher(key)
	std, _ := cipher.NewGCM(block)
	impls := []struct {
		name string
		aead cipher.AEAD
	}{{"crypto-cipher", std}}
	if hasVectorAES {
		impls = append(impls, struct {
			name string
			aead cipher.AEAD
		}{"vector", newVector(key, block)})
	}
	for _, size := range []int{1 << 10, 16 << 10, 256 << 10} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("%s/%dKiB", impl.name, size>>10), func(b *testing.B) {
				nonce := make([]byte, 12)
				buf := make([]byte, size+tagSize)
				sealed := impl.aead.Seal(nil, nonce, buf[:size], nil)
				b.SetBytes(int64(size))
				for b.Loop() {
					if sealing {
						impl.aead.Seal(buf[:0], nonce, buf[:size], nil)
					} else {
						copy(buf, sealed)
						if _, err := impl.aead.Open(buf[:0], nonce, buf, nil); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
