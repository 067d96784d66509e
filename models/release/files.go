package release

import (
	"github.com/dxtrain/dxtrain/storage"
)

// The four files of a release directory.
const (
	ONNXFile      = "model.onnx"
	CardFile      = "card.json"
	StatementFile = "statement.json"
	SignatureFile = "statement.sig"
)

// fileNames lists them in the order they are read and written.
var fileNames = []string{ONNXFile, CardFile, StatementFile, SignatureFile}

// Files is a release's contents exactly as stored: the bytes a registry serves, a pull
// verifies, and WriteRelease puts in a directory.
type Files struct {
	ONNX      []byte // model.onnx
	Card      []byte // card.json, Card.Encode's output
	Statement []byte // statement.json, Statement.Encode's output: the signed bytes
	Signature []byte // statement.sig, EncodeSignature's output
}

func (f Files) byName(name string) []byte {
	switch name {
	case ONNXFile:
		return f.ONNX
	case CardFile:
		return f.Card
	case StatementFile:
		return f.Statement
	case SignatureFile:
		return f.Signature
	}
	return nil
}

func (f *Files) set(name string, data []byte) {
	switch name {
	case ONNXFile:
		f.ONNX = data
	case CardFile:
		f.Card = data
	case StatementFile:
		f.Statement = data
	case SignatureFile:
		f.Signature = data
	}
}

func digest(data []byte) string { return storage.Digest(data) }
