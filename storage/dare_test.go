package storage

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/minio/sio"
)

func sioConfig(key []byte, nonce *[12]byte) sio.Config {
	return sio.Config{MinVersion: sio.Version20, MaxVersion: sio.Version20, Key: key,
		CipherSuites: []byte{sio.AES_256_GCM}, Nonce: nonce}
}

func dareSeal(t testing.TB, key []byte, nonce [12]byte, plain []byte) []byte {
	t.Helper()
	e, err := newDAREEncrypter(bytes.NewReader(plain), key, nonce)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dareOpen(key, stream []byte) ([]byte, error) {
	d, err := newDAREDecrypter(bytes.NewReader(stream), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(d)
}

// TestDAREMatchesSio seals with this package and with minio/sio under the same
// key and random value: the same bytes, and each opens the other's.
func TestDAREMatchesSio(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	key := randomBytes(rng, 32)
	sizes := []int{0, 1, 15, 16, 17, dareMaxPayload - 1, dareMaxPayload, dareMaxPayload + 1,
		2 * dareMaxPayload, 3*dareMaxPayload + 5, 1 << 20}
	for range 8 {
		sizes = append(sizes, rng.IntN(5*dareMaxPayload))
	}
	for _, size := range sizes {
		plain := randomBytes(rng, size)
		var nonce [12]byte
		copy(nonce[:], randomBytes(rng, 12))
		nonce[0] |= 0x80 // the final flag's bit is not the stream's: both must clear it
		n := nonce
		want, err := io.ReadAll(must(sio.EncryptReader(bytes.NewReader(plain), sioConfig(key, &n))))
		if err != nil {
			t.Fatal(err)
		}
		got := dareSeal(t, key, nonce, plain)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: DARE stream differs from sio's (%d and %d bytes)", size, len(got), len(want))
		}
		if enc, _ := sio.EncryptedSize(uint64(size)); int(enc) != len(got) {
			t.Fatalf("%d bytes: %d encrypted, sio.EncryptedSize says %d", size, len(got), enc)
		}
		opened, err := dareOpen(key, want)
		if size == 0 {
			// sio reads no bytes as no plaintext; here it is a stream cut before its
			// first package (the store marks empty objects in its sealed header).
			if !errors.Is(err, errDARE) {
				t.Fatalf("an empty stream opened: %v", err)
			}
			continue
		}
		if err != nil || !bytes.Equal(opened, plain) {
			t.Fatalf("%d bytes: opening sio's stream: %v", size, err)
		}
		back, err := io.ReadAll(must(sio.DecryptReader(bytes.NewReader(got), sioConfig(key, nil))))
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("%d bytes: sio opening this package's stream: %v", size, err)
		}
	}
}

// TestDARERefusesWhatSioRefuses breaks a three-package stream every way a
// stored object can be broken: each is refused, as a DARE error, as sio refuses it.
func TestDARERefusesWhatSioRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	key := randomBytes(rng, 32)
	var nonce [12]byte
	copy(nonce[:], randomBytes(rng, 12))
	plain := randomBytes(rng, 2*dareMaxPayload+100)
	stream := dareSeal(t, key, nonce, plain)
	pkg := dareMaxPackage
	cut := func(from, to int) []byte { return append(bytes.Clone(stream[:from]), stream[to:]...) }
	flip := func(i int) []byte { s := bytes.Clone(stream); s[i] ^= 0x01; return s }
	cases := map[string][]byte{
		"version":                  flip(0),
		"cipher suite":             flip(1),
		"length":                   flip(2),
		"nonce":                    flip(10),
		"final flag":               func() []byte { s := bytes.Clone(stream); s[4] ^= dareFinalFlag; return s }(),
		"ciphertext":               flip(pkg + 100),
		"tag":                      flip(pkg - 1),
		"final package dropped":    stream[:2*pkg],
		"middle package dropped":   cut(pkg, 2*pkg),
		"packages swapped":         append(append(bytes.Clone(stream[pkg:2*pkg]), stream[:pkg]...), stream[2*pkg:]...),
		"cut inside a header":      stream[:pkg+7],
		"cut inside a payload":     stream[:pkg+1000],
		"data after the final one": append(bytes.Clone(stream), 0),
		"another key's stream":     dareSeal(t, randomBytes(rng, 32), nonce, plain),
	}
	for name, bad := range cases {
		_, err := dareOpen(key, bad)
		if err == nil || !errors.Is(err, errDARE) {
			t.Errorf("%s: opened, or not as a DARE error: %v", name, err)
		}
		if _, sioErr := io.ReadAll(must(sio.DecryptReader(bytes.NewReader(bad), sioConfig(key, nil)))); sioErr == nil {
			t.Errorf("%s: sio opens it, this package refuses it", name)
		}
	}
	if got, err := dareOpen(key, stream); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the untouched stream: %v", err)
	}
}

// FuzzDAREOpenAgreesWithSio opens arbitrary bytes as a stream with both
// implementations: never a panic, and the same verdict and plaintext (but for
// no bytes at all, which sio reads as no plaintext and this package refuses).
func FuzzDAREOpenAgreesWithSio(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	var nonce [12]byte
	f.Add(dareSeal(f, key, nonce, []byte("a package")))
	f.Add(dareSeal(f, key, nonce, bytes.Repeat([]byte{1}, dareMaxPayload+3)))
	f.Add([]byte{0x20, 0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		if len(stream) == 0 {
			return
		}
		got, err := dareOpen(key, stream)
		want, sioErr := io.ReadAll(must(sio.DecryptReader(bytes.NewReader(stream), sioConfig(key, nil))))
		if (err == nil) != (sioErr == nil) {
			t.Fatalf("%d bytes: this package %v, sio %v", len(stream), err, sioErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: plaintexts differ", len(stream))
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// BenchmarkDARE seals and opens 16 MiB with this package and with minio/sio.
func BenchmarkDARE(b *testing.B) {
	key := bytes.Repeat([]byte{3}, 32)
	plain := make([]byte, 16<<20)
	var nonce [12]byte
	sealed := dareSeal(b, key, nonce, plain)
	impls := map[string]struct {
		seal func() io.Reader
		open func() io.Reader
	}{
		"dxtrain": {
			func() io.Reader { return must(newDAREEncrypter(bytes.NewReader(plain), key, nonce)) },
			func() io.Reader { return must(newDAREDecrypter(bytes.NewReader(sealed), key)) },
		},
		"sio": {
			func() io.Reader { return must(sio.EncryptReader(bytes.NewReader(plain), sioConfig(key, &nonce))) },
			func() io.Reader { return must(sio.DecryptReader(bytes.NewReader(sealed), sioConfig(key, nil))) },
		},
	}
	for _, name := range []string{"sio", "dxtrain"} {
		for _, op := range []string{"seal", "open"} {
			b.Run(name+"/"+op, func(b *testing.B) {
				b.SetBytes(int64(len(plain)))
				for b.Loop() {
					r := impls[name].seal()
					if op == "open" {
						r = impls[name].open()
					}
					if _, err := io.Copy(io.Discard, r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
