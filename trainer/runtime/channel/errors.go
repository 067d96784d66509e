package channel

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidConfig means the Config failed Validate.
	ErrInvalidConfig = errors.New("invalid channel config")
	// ErrSocketPath means no directory gave a socket path short enough for sun_path.
	ErrSocketPath = errors.New("socket path too long")
	// ErrBadRequest means a message broke the protocol; the rank is told why.
	ErrBadRequest = errors.New("bad request")
)
