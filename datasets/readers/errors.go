package readers

import "errors"

// Sentinel errors; returned errors wrap them with the file and the place.
var (
	// ErrFormat means the bytes do not follow the format (magic, type code,
	// header, dimensions).
	ErrFormat = errors.New("malformed input")
	// ErrTruncated means the input ends before the data its header declares.
	ErrTruncated = errors.New("truncated input")
	// ErrTrailing means bytes follow the data the header declares.
	ErrTrailing = errors.New("trailing bytes after the data")
	// ErrTooLarge means a declared size exceeds the reader's limits.
	ErrTooLarge = errors.New("declared size exceeds the limit")
	// ErrMismatch means images and labels disagree (counts, missing arrays).
	ErrMismatch = errors.New("images and labels do not match")
	// ErrValue means a value is out of range (a negative label, a non-finite
	// or out-of-[0,1] float pixel).
	ErrValue = errors.New("value out of range")
)
