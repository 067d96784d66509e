package release

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

// Sign signs the canonical statement bytes (Statement.Encode's output) and returns the
// raw 64-byte ed25519 signature.
func Sign(statement []byte, priv ed25519.PrivateKey) []byte {
	return ed25519.Sign(priv, statement)
}

// EncodeSignature returns statement.sig: the signature in standard base64 (with
// padding) and one '\n', so it can be mailed or pasted intact.
func EncodeSignature(sig []byte) []byte {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sig)), base64.StdEncoding.EncodedLen(len(sig))+1)
	base64.StdEncoding.Encode(out, sig)
	return append(out, '\n')
}

// DecodeSignature reads statement.sig: standard base64 of 64 bytes, surrounding
// whitespace ignored.
func DecodeSignature(data []byte) ([]byte, error) {
	t := bytes.TrimSpace(data)
	if len(t) != base64.StdEncoding.EncodedLen(ed25519.SignatureSize) {
		return nil, fmt.Errorf("%s: %w: %d characters, want %d of base64", SignatureFile, ErrSignature, len(t), base64.StdEncoding.EncodedLen(ed25519.SignatureSize))
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(string(t))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%s: %w: not base64 of a %d-byte signature", SignatureFile, ErrSignature, ed25519.SignatureSize)
	}
	return sig, nil
}

// Seal is the approver's step: it fills in the statement's hashes of onnx and card and
// the key fingerprint, encodes card and statement canonically and signs, returning the
// four files of the release.
func Seal(onnxModel []byte, card Card, st Statement, priv ed25519.PrivateKey) (Files, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Files{}, fmt.Errorf("seal release: %w: private key has %d bytes", ErrInvalidKey, len(priv))
	}
	cardJSON, err := card.Encode()
	if err != nil {
		return Files{}, fmt.Errorf("seal release: %w", err)
	}
	st.ONNXSHA256 = digest(onnxModel)
	st.CardSHA256 = digest(cardJSON)
	st.ApproverKey = Fingerprint(priv.Public().(ed25519.PublicKey))
	stJSON, err := st.Encode()
	if err != nil {
		return Files{}, fmt.Errorf("seal release: %w", err)
	}
	f := Files{ONNX: onnxModel, Card: cardJSON, Statement: stJSON, Signature: EncodeSignature(Sign(stJSON, priv))}
	if _, err := checkFiles(f, priv.Public().(ed25519.PublicKey)); err != nil {
		return Files{}, fmt.Errorf("seal release: %w", err)
	}
	return f, nil
}
