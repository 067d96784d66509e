package gate

import "errors"

var (
	// ErrMalformedTable means the table's shape is inconsistent (row width, column declarations).
	ErrMalformedTable = errors.New("malformed table")
	// ErrKTooSmall means k is below MinK.
	ErrKTooSmall = errors.New("k below minimum")
)
