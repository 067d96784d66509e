package release

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/models/onnx"
)

// maxONNXSize bounds model.onnx as read from a directory (2 GiB, protobuf's own limit).
const maxONNXSize = 2 << 30

// Verified is a release that passed every check, with the bytes that were checked: use
// Files.ONNX rather than reading model.onnx again, which could have changed since.
type Verified struct {
	Files       Files
	Statement   Statement
	Card        Card
	Fingerprint string            // of the key that signed
	Metadata    map[string]string // the ONNX model's metadata props
}

// VerifyBytes checks a release before anything is written: the signature over the
// statement bytes under pub, then that model.onnx and card.json have the SHA-256s the
// statement names, that card and statement describe the same model, and that the ONNX
// metadata's provenance keys agree. Each failure wraps its own sentinel and names the
// file. It needs no network and no ONNX Runtime.
func VerifyBytes(f Files, pub ed25519.PublicKey) (*Verified, error) {
	v, err := checkFiles(f, pub)
	if err != nil {
		return nil, fmt.Errorf("verify release: %w", err)
	}
	return v, nil
}

func checkFiles(f Files, pub ed25519.PublicKey) (*Verified, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key has %d bytes, want %d", ErrInvalidKey, len(pub), ed25519.PublicKeySize)
	}
	for _, name := range fileNames {
		if len(f.byName(name)) == 0 {
			return nil, fmt.Errorf("%s: %w (or empty)", name, ErrMissingFile)
		}
	}
	sig, err := DecodeSignature(f.Signature)
	if err != nil {
		return nil, err
	}
	fp := Fingerprint(pub)
	if !ed25519.Verify(pub, f.Statement, sig) {
		// Tell the two common cases apart by the key the statement names. Either way
		// nothing in the statement is trusted.
		if st, err := ParseStatement(f.Statement); err == nil && st.ApproverKey != fp {
			return nil, fmt.Errorf("%s: %w: it names approver key %s, the trusted key is %s", StatementFile, ErrWrongKey, st.ApproverKey, fp)
		}
		return nil, fmt.Errorf("%w (checked with key %s)", ErrSignature, fp)
	}
	st, err := ParseStatement(f.Statement)
	if err != nil {
		return nil, fmt.Errorf("%s (signed): %w", StatementFile, err)
	}
	if st.ApproverKey != fp {
		return nil, fmt.Errorf("%s: %w: approver_key %s, signed by %s", StatementFile, ErrMismatch, st.ApproverKey, fp)
	}
	card, meta, err := checkContents(f, st)
	if err != nil {
		return nil, err
	}
	return &Verified{Files: f, Statement: *st, Card: *card, Fingerprint: fp, Metadata: meta}, nil
}

// checkContents checks everything a signature does not: the hashes the statement names,
// the card, and the agreement of card, statement and ONNX metadata.
func checkContents(f Files, st *Statement) (*Card, map[string]string, error) {
	if got := digest(f.ONNX); got != st.ONNXSHA256 {
		return nil, nil, fmt.Errorf("%w: its sha256 is %s, the statement says %s", ErrONNXTampered, got, st.ONNXSHA256)
	}
	if got := digest(f.Card); got != st.CardSHA256 {
		return nil, nil, fmt.Errorf("%w: its sha256 is %s, the statement says %s", ErrCardTampered, got, st.CardSHA256)
	}
	card, err := ParseCard(f.Card)
	if err != nil {
		return nil, nil, fmt.Errorf("%s (signed): %w", CardFile, err)
	}
	meta, err := onnx.ReadMetadata(f.ONNX)
	if err != nil {
		return nil, nil, fmt.Errorf("%s (signed): %w", ONNXFile, err)
	}
	if err := checkAgreement(st, card, f.Card, meta); err != nil {
		return nil, nil, err
	}
	return card, meta, nil
}

// VerifyDir reads the four files of the release in dir and checks them as VerifyBytes
// does. A missing file is ErrMissingFile naming it.
func VerifyDir(dir string, pub ed25519.PublicKey) (*Verified, error) {
	f, err := ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("verify release %s: %w", dir, err)
	}
	v, err := checkFiles(f, pub)
	if err != nil {
		return nil, fmt.Errorf("verify release %s: %w", dir, err)
	}
	return v, nil
}

// ReadDir reads the four release files from dir without checking them.
func ReadDir(dir string) (Files, error) {
	var f Files
	for _, name := range fileNames {
		data, err := readRegular(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return Files{}, fmt.Errorf("%s: %w", name, ErrMissingFile)
		}
		if err != nil {
			return Files{}, fmt.Errorf("%s: %w", name, err)
		}
		f.set(name, data)
	}
	return f, nil
}

// readRegular reads a regular file of at most maxONNXSize bytes.
func readRegular(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if fi.Size() > maxONNXSize {
		return nil, fmt.Errorf("%d bytes, at most %d", fi.Size(), maxONNXSize)
	}
	return io.ReadAll(io.LimitReader(fh, maxONNXSize+1))
}
