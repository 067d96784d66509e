package bundle

import "errors"

// Sentinel errors; test with errors.Is. Each is wrapped with the path or hash concerned.
var (
	// ErrTooLarge means the files add up to more than the cap (Pack), or an archive
	// would write more than the cap or more than MaxEntries entries (Unpack).
	ErrTooLarge = errors.New("bundle too large")
	// ErrUnsupportedFile means Pack met something that is neither a regular file nor a
	// directory (a symlink, socket, device or pipe). Symlinks are refused rather than
	// followed so the bundle holds what the directory shows, never what a link points at.
	ErrUnsupportedFile = errors.New("unsupported file type")
	// ErrHashMismatch means the bytes read do not hash to the expected SHA-256.
	ErrHashMismatch = errors.New("bundle hash mismatch")
	// ErrUnsafeEntry means an archive entry is not a plain, local file or directory:
	// an absolute path, "..", a non-canonical name, a link, a device, or a duplicate.
	ErrUnsafeEntry = errors.New("unsafe bundle entry")
	// ErrMalformed means the input is not a gzip'd tar archive.
	ErrMalformed = errors.New("malformed bundle")
	// ErrDestExists means Unpack's destination already exists; it always creates it fresh.
	ErrDestExists = errors.New("bundle destination exists")
)
