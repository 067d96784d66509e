package deid

import "errors"

var (
	// ErrInvalidSpec means the ingest spec is malformed or inconsistent.
	ErrInvalidSpec = errors.New("invalid ingest spec")
	// ErrKeyFile means the pseudonymisation key file is missing, empty, too
	// short or readable by others.
	ErrKeyFile = errors.New("unusable key file")
	// ErrNoKey means a column is to be pseudonymised but no key was given.
	ErrNoKey = errors.New("no pseudonymisation key")
	// ErrColumns means the input's columns do not match the spec's.
	ErrColumns = errors.New("input columns do not match the ingest spec")
	// ErrBadDate means a date cell is not in a recognised layout.
	ErrBadDate = errors.New("not a recognised date (want YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or DD.MM.YYYY)")
	// ErrImplausibleBirth means a date of birth is after the reference date
	// or more than 130 years before it.
	ErrImplausibleBirth = errors.New("date of birth after the reference date or more than 130 years before it")
	// ErrPostcodeAmbiguous means a postcode has no space between its outward
	// and inward codes, so the district cannot be split off reliably.
	ErrPostcodeAmbiguous = errors.New("postcode without a space between outward and inward code is ambiguous")
	// ErrBadPostcode means a postcode does not follow the UK pattern.
	ErrBadPostcode = errors.New("not a UK postcode")
)
