package storage

import "errors"

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
