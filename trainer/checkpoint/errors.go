package checkpoint

import "errors"

var (
	// ErrMalformed: a manifest or blob that does not parse or does not match its manifest.
	ErrMalformed = errors.New("malformed checkpoint")
	// ErrNoCheckpoint: the ledger holds no usable checkpoint for the experiment.
	ErrNoCheckpoint = errors.New("no committed checkpoint")
)
