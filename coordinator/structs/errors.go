package structs

import "errors"

// Sentinel errors shared by the state store, the FSM, the HTTP endpoints and the
// client. The HTTP layer maps them to status codes; the client maps codes back, so
// errors.Is works on both sides of the wire.
var (
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("conflict")
	ErrPermissionDenied = errors.New("permission denied")
	ErrUnauthenticated  = errors.New("missing or unknown token")
	ErrNotLeader        = errors.New("not the leader")
	ErrNoLeader         = errors.New("no cluster leader")
	ErrInvalid          = errors.New("invalid request")
	// ErrUnknownOutcome: the write was proposed but leadership was lost (or the apply
	// timed out) before it was known to commit; it may or may not be applied.
	ErrUnknownOutcome = errors.New("write outcome unknown")
	// ErrGone: the record exists but what it names may no longer be used (a revoked
	// model version's files).
	ErrGone = errors.New("gone")
	// ErrTooManyRequests: the source failed to authenticate too often; it is refused
	// until its window ends.
	ErrTooManyRequests = errors.New("too many failed authentications")
)

// FieldError is an ErrInvalid that names the offending field (and, for specs, the
// line) so that a client can point at it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid builds a FieldError.
func Invalid(field, msg string) error { return &FieldError{Field: field, Message: msg} }
