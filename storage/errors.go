package storage

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them with the key and operation, so callers test with
// errors.Is and still get a message that says what and where.
var (
	// ErrNotFound means the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrCorrupt means a content-addressed blob's bytes do not hash to its name
	// (a flipped byte, a truncation, or a wrong object under the blob's key).
	ErrCorrupt = errors.New("blob corrupt")
	// ErrInvalidKey means a key (or blob digest) breaks the naming rules of ValidateKey.
	ErrInvalidKey = errors.New("invalid key")
	// ErrUnsupportedURL means Open was given a URL whose form or scheme it does not handle.
	ErrUnsupportedURL = errors.New("unsupported storage url")
)

// Errors of encryption at rest (EncryptedStore). Each is wrapped with the object key and,
// where it helps, the KEK IDs involved; never with key material.
var (
	// ErrNoKEK means an object is encrypted but this process has no key-encryption key.
	ErrNoKEK = errors.New("object is encrypted and no key-encryption key is configured (set DXTRAIN_STORE_KEK_FILE)")
	// ErrWrongKEK means an object's data key was wrapped by a KEK this process does not hold.
	ErrWrongKEK = errors.New("object is encrypted under a different key-encryption key")
	// ErrTampered means an encrypted object failed authentication: its header or
	// ciphertext was changed, truncated or moved from another key.
	// It wraps ErrCorrupt, so readers that fall back from a damaged checkpoint to an
	// older one do so here too (ErrWrongKEK and ErrNoKEK do not: the data is intact).
	ErrTampered = fmt.Errorf("encrypted object failed authentication (tampered, truncated or moved): %w", ErrCorrupt)
	// ErrPlaintext means a plaintext object (written before encryption at rest was
	// turned on) was read with the plaintext policy "refuse".
	ErrPlaintext = errors.New("object is not encrypted (written before encryption at rest was turned on) and plaintext reads are refused")
)
