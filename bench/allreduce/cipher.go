package main

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/internal/gcm"
)

// cipherRates measures, in this run, what one core seals with the ring's
// AES-256-GCM (internal/gcm, as the sealed links use it) and with crypto/cipher's,
// on the links' 256 KiB frames: the cost TLS adds to every byte sent and
// received, so the TLS/plain column can be read against it.
func cipherRates() (vector, std float64, err error) {
	key := make([]byte, 32)
	fast, err := gcm.New(key)
	if err != nil {
		return 0, 0, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return 0, 0, err
	}
	slow, err := cipher.NewGCM(block)
	if err != nil {
		return 0, 0, err
	}
	return sealRate(fast), sealRate(slow), nil
}

// sealRate is the best of five 100 ms runs of sealing 256 KiB in place, in GB/s.
func sealRate(a cipher.AEAD) float64 {
	const size = 256 << 10
	buf := make([]byte, size+a.Overhead())
	nonce := make([]byte, a.NonceSize())
	best := 0.0
	for range 5 {
		n, start := 0, time.Now()
		for time.Since(start) < 100*time.Millisecond {
			a.Seal(buf[:0], nonce, buf[:size], nil)
			n++
		}
		best = max(best, float64(n*size)/time.Since(start).Seconds()/1e9)
	}
	return best
}

func printCipherRates() {
	vector, std, err := cipherRates()
	if err != nil {
		fmt.Printf("AES-256-GCM rates: %v\n", err)
		return
	}
	fmt.Printf("AES-256-GCM seal of 256 KiB frames, one core, this run: %.1f GB/s (internal/gcm, the sealed links' cipher), %.1f GB/s (crypto/cipher, %.1fx slower)\n",
		vector, std, vector/std)
}
