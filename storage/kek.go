package storage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
)

// KEKSize is the length of a key-encryption key: an AES-256 key.
const KEKSize = 32

// KEK is the cluster's key-encryption key: it wraps each object's random data key and
// never touches object data itself. It lives in a 0600 file or an environment variable
// on each node and never in Raft, so a copy of the coordinator's state or of the bucket
// alone reads nothing. The zero KEK means "none configured". Every way of printing a
// KEK (fmt verbs, slog) shows only its ID, never the key.
type KEK struct {
	key [KEKSize]byte
	id  [8]byte
	set bool
}

// kekIDDomain and kekWrapDomain separate the two things derived from a KEK: its public
// ID (a fingerprint written into every object header) and the AES key that wraps data
// keys. Neither reveals the other or the KEK.
const (
	kekIDDomain   = "dxtrain store kek id v1"
	kekWrapDomain = "dxtrain store kek wrap v1"
)

// NewKEK makes a KEK of exactly KEKSize key bytes.
func NewKEK(key []byte) (KEK, error) {
	if len(key) != KEKSize {
		return KEK{}, fmt.Errorf("key-encryption key: want %d bytes, got %d", KEKSize, len(key))
	}
	var k KEK
	copy(k.key[:], key)
	m := hmac.New(sha256.New, k.key[:])
	m.Write([]byte(kekIDDomain))
	copy(k.id[:], m.Sum(nil))
	k.set = true
	return k, nil
}

// GenerateKEK draws a new random KEK.
func GenerateKEK() (KEK, error) {
	var b [KEKSize]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return KEK{}, fmt.Errorf("generate key-encryption key: %w", err)
	}
	return NewKEK(b[:])
}

// ParseKEK decodes a KEK written as 64 hex characters or as standard base64 (padded or
// not) of 32 bytes; surrounding white space is ignored. Errors never echo the text.
func ParseKEK(text string) (KEK, error) {
	s := strings.TrimSpace(text)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KEKSize {
		return NewKEK(b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KEKSize {
			return NewKEK(b)
		}
	}
	return KEK{}, fmt.Errorf("key-encryption key: want %d bytes as %d hex characters or base64 (%d characters of text given)",
		KEKSize, 2*KEKSize, len(s))
}

// LoadKEKFile reads a KEK file (ParseKEK's format). The file must be a regular file
// readable by its owner only (no group or other permission bits): a key others can read
// is refused, naming the path and its mode, as ssh does with private keys.
func LoadKEKFile(path string) (KEK, error) {
	f, err := os.Open(path)
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return KEK{}, fmt.Errorf("key-encryption key file %s: not a regular file (%s)", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return KEK{}, fmt.Errorf("key-encryption key file %s: mode %04o lets group or others read it; want 0600 (chmod 600 %s)", path, perm, path)
	}
	text, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key file %s: %w", path, err)
	}
	k, err := ParseKEK(string(text))
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key file %s: %w", path, err)
	}
	return k, nil
}

// WriteKEKFile writes k to a new file at path, mode 0600, as hex. An existing file is
// never overwritten: losing a KEK loses every object encrypted under it.
func WriteKEKFile(path string, k KEK) error {
	if !k.set {
		return errors.New("write key-encryption key: no key")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write key-encryption key: %s already exists; refusing to overwrite it", path)
		}
		return fmt.Errorf("write key-encryption key: %w", err)
	}
	_, err = fmt.Fprintln(f, hex.EncodeToString(k.key[:]))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write key-encryption key %s: %w", path, err)
	}
	return nil
}

// IsSet reports whether k holds a key.
func (k KEK) IsSet() bool { return k.set }

// ID is the KEK's public fingerprint (16 hex characters), written into each object's
// header so a wrong key is named rather than guessed at. "none" for the zero KEK.
func (k KEK) ID() string {
	if !k.set {
		return "none"
	}
	return hex.EncodeToString(k.id[:])
}

// wrapKey is the AES-256 key that wraps data keys.
func (k KEK) wrapKey() []byte {
	m := hmac.New(sha256.New, k.key[:])
	m.Write([]byte(kekWrapDomain))
	return m.Sum(nil)
}

// String shows the ID only.
func (k KEK) String() string { return "storage.KEK{id=" + k.ID() + "}" }

// GoString keeps %#v from printing the key.
func (k KEK) GoString() string { return k.String() }

// Format makes every fmt verb (%x and %d included) print the ID only.
func (k KEK) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue makes slog print the ID only.
func (k KEK) LogValue() slog.Value { return slog.StringValue(k.ID()) }

// MarshalText keeps encoding/json and friends from reaching the key.
func (k KEK) MarshalText() ([]byte, error) { return []byte(k.ID()), nil }
