package dicom

import "errors"

// Sentinel errors; returned errors wrap them with the file and the place.
var (
	// ErrMalformed means the bytes do not follow the DICOM encoding
	// (lengths past the end, missing delimiters, wrong VRs for the
	// attributes that size the pixel data).
	ErrMalformed = errors.New("malformed DICOM")
	// ErrTooLarge means a file exceeds Options.MaxFileBytes or a declared
	// size exceeds this package's limits.
	ErrTooLarge = errors.New("DICOM file exceeds the size limit")
	// ErrUnsupported means a transfer syntax, photometric interpretation or
	// pixel layout this package cannot decode; the error names it.
	ErrUnsupported = errors.New("unsupported DICOM encoding")
	// ErrPixelLength means the Pixel Data length disagrees with rows ×
	// columns × bits allocated × samples × frames.
	ErrPixelLength = errors.New("pixel data length disagrees with the image attributes")
	// ErrNoPixels means the file has no pixel data to train on.
	ErrNoPixels = errors.New("DICOM file has no pixel data")
	// ErrOptions means the Options are unusable (no key, unknown date mode,
	// bad window, malformed private tag).
	ErrOptions = errors.New("invalid DICOM read options")
)

// errNotDICOM marks a file without the "DICM" preamble; ReadDir skips and
// counts it rather than failing, since exports often carry READMEs and
// thumbnails beside the images.
var errNotDICOM = errors.New("not a DICOM file (no DICM preamble)")
