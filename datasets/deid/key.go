package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

const (
	// MinKeyBytes is the shortest key accepted: 256 bits, the size of the
	// SHA-256 output, below which the key is the weakest part of the HMAC.
	MinKeyBytes = 32
	// PseudonymHexLen is the length of a pseudonym: the first 16 bytes (128
	// bits) of the HMAC-SHA256, in lower-case hex. Collisions are negligible
	// below about 2^50 distinct identifiers.
	PseudonymHexLen = 32
)

// Pseudonymiser replaces identifiers with keyed HMAC-SHA256 pseudonyms. The
// same key and value always give the same pseudonym, so records stay linked
// across datasets from one data controller; without the key a pseudonym
// cannot be reversed or recomputed from a guessed value. The key is never
// printed: String, GoString, LogValue and MarshalText all redact it.
type Pseudonymiser struct {
	key []byte
}

// NewPseudonymiser copies key; it must be at least MinKeyBytes long.
func NewPseudonymiser(key []byte) (*Pseudonymiser, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("pseudonymisation key: %w: %d bytes, want at least %d", ErrKeyFile, len(key), MinKeyBytes)
	}
	return &Pseudonymiser{key: append([]byte(nil), key...)}, nil
}

// LoadKey reads the key file at path. The file must be a regular file of at
// least MinKeyBytes bytes (used as is, newline included) that neither group
// nor others may read: chmod 600.
func LoadKey(path string) (*Pseudonymiser, error) {
	key, err := LoadKeyBytes(path)
	if err != nil {
		return nil, err
	}
	p, err := NewPseudonymiser(key)
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return p, nil
}

// LoadKeyBytes reads and checks the key file as LoadKey does and returns the
// key itself, for a reader that keys more than pseudonyms (DICOM UIDs and
// date shifts); the caller clears it when done.
func LoadKeyBytes(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("key file: %w", ErrNoKey)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w: %w", path, ErrKeyFile, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s: %w: not a regular file", path, ErrKeyFile)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: %w: mode %04o lets group or others read it; chmod 600", path, ErrKeyFile, perm)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w: %w", path, ErrKeyFile, err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("key file %s: %w: empty", path, ErrKeyFile)
	}
	if len(key) < MinKeyBytes {
		clear(key)
		return nil, fmt.Errorf("key file %s: pseudonymisation key: %w: %d bytes, want at least %d", path, ErrKeyFile, len(key), MinKeyBytes)
	}
	return key, nil
}

// Pseudonymise returns the pseudonym of an identifier. Surrounding spaces
// are trimmed, and a value that is all digits once spaces and dashes are
// removed is reduced to its digits, so 943 476 5919 and 9434765919 give the
// same pseudonym. An empty value stays empty (missing stays missing).
func (p *Pseudonymiser) Pseudonymise(value string) string {
	v := normaliseIdentifier(value)
	if v == "" {
		return ""
	}
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(v))
	sum := mac.Sum(nil)
	return hex.EncodeToString(sum[:PseudonymHexLen/2])
}

func normaliseIdentifier(value string) string {
	v := strings.TrimSpace(value)
	digits := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-':
		default:
			return v
		}
	}
	return string(digits)
}

const redacted = "Pseudonymiser{key: [redacted]}"

// String redacts the key.
func (p Pseudonymiser) String() string { return redacted }

// GoString redacts the key.
func (p Pseudonymiser) GoString() string { return redacted }

// LogValue redacts the key.
func (p Pseudonymiser) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts the key in JSON, YAML and other encoders.
func (p Pseudonymiser) MarshalText() ([]byte, error) { return []byte(redacted), nil }
