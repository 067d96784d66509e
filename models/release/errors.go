package release

import "errors"

// Every reason a release is refused has its own sentinel, so a caller (the pull path,
// predict, the CLI) can tell a trust exactly what is wrong.
var (
	// ErrMissingFile means one of the four release files is absent.
	ErrMissingFile = errors.New("release file missing")
	// ErrSignature means statement.sig is not a valid signature of statement.json under
	// the given key: the statement (or the signature) was altered after signing.
	ErrSignature = errors.New("signature does not verify: statement.json or statement.sig was altered")
	// ErrWrongKey means the statement was signed by a key other than the one trusted.
	ErrWrongKey = errors.New("statement signed by a different key than the one trusted")
	// ErrONNXTampered means model.onnx does not have the SHA-256 the signed statement names.
	ErrONNXTampered = errors.New("model.onnx does not match the signed statement")
	// ErrCardTampered means card.json does not have the SHA-256 the signed statement names.
	ErrCardTampered = errors.New("card.json does not match the signed statement")
	// ErrMismatch means signed, untampered files that disagree with each other (the card's
	// name and the statement's, the ONNX metadata and the statement's hashes).
	ErrMismatch = errors.New("release files disagree")
	// ErrInvalidStatement means statement.json is not a valid statement in canonical form.
	ErrInvalidStatement = errors.New("invalid provenance statement")
	// ErrInvalidCard means card.json is not a valid model card in canonical form.
	ErrInvalidCard = errors.New("invalid model card")
	// ErrInvalidKey means a key file that is not a dxtrain ed25519 key.
	ErrInvalidKey = errors.New("invalid key file")
	// ErrKeyPermissions means a private key file that group or others may read or write.
	ErrKeyPermissions = errors.New("private key file is accessible to group or others")
	// ErrExists means a release or key file is already there with different content.
	ErrExists = errors.New("already exists")
)
