package release

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// StatementSchema tags every provenance statement. Signing a tagged type means a
// signature made for a statement cannot be passed off as one over some other JSON.
const StatementSchema = "dxtrain.provenance-statement.v1"

// maxStatementSize bounds statement.json before it is parsed.
const maxStatementSize = 64 << 10

// maxMetrics bounds the metrics summary.
const maxMetrics = 256

// Statement is the provenance of one released model version: what the approver signs.
// Its SHA-256 fields bind model.onnx, card.json, the checkpoint, the dataset and the
// spec; statement.json is Statement.Encode's output, byte for byte.
type Statement struct {
	Schema                   string             `json:"schema"` // StatementSchema
	ModelName                string             `json:"model_name"`
	ModelVersion             string             `json:"model_version"`
	ONNXSHA256               string             `json:"onnx_sha256"`
	CardSHA256               string             `json:"card_sha256"`
	CheckpointManifestSHA256 string             `json:"checkpoint_manifest_sha256"`
	DatasetManifestSHA256    string             `json:"dataset_manifest_sha256"`
	SpecSHA256               string             `json:"spec_sha256"`
	CodeVersion              string             `json:"code_version"` // the code that exported model.onnx
	Metrics                  map[string]float64 `json:"metrics"`      // summary, e.g. test_auroc
	Approver                 string             `json:"approver"`     // who approved, as they sign
	ApproverKey              string             `json:"approver_key"` // Fingerprint of the signing key
	CreatedAt                time.Time          `json:"created_at"`   // UTC
}

// Validate names the first field that is missing or malformed.
func (s *Statement) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidStatement, err)
	}
	return nil
}

func (s *Statement) validate() error {
	if s.Schema != StatementSchema {
		return fmt.Errorf("schema %q, want %q", s.Schema, StatementSchema)
	}
	for _, err := range []error{
		checkName("model_name", s.ModelName),
		checkName("model_version", s.ModelVersion),
		checkDigest("onnx_sha256", s.ONNXSHA256),
		checkDigest("card_sha256", s.CardSHA256),
		checkDigest("checkpoint_manifest_sha256", s.CheckpointManifestSHA256),
		checkDigest("dataset_manifest_sha256", s.DatasetManifestSHA256),
		checkDigest("spec_sha256", s.SpecSHA256),
		checkText("code_version", s.CodeVersion, maxShortLen, false),
		checkText("approver", s.Approver, maxShortLen, false),
		checkFingerprint("approver_key", s.ApproverKey),
		checkTime("created_at", s.CreatedAt),
	} {
		if err != nil {
			return err
		}
	}
	if len(s.Metrics) == 0 {
		return fmt.Errorf("metrics is empty: a release states how the model performed")
	}
	if len(s.Metrics) > maxMetrics {
		return fmt.Errorf("metrics has %d entries, at most %d", len(s.Metrics), maxMetrics)
	}
	for k, v := range s.Metrics {
		if err := checkName("metrics key", k); err != nil {
			return err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("metrics[%s] is not finite", k)
		}
	}
	return nil
}

// Encode validates s and returns its canonical bytes, the ones signed and stored as
// statement.json: json.Marshal of Statement (fields in declaration order, metrics keys
// sorted, no indentation, encoding/json's default escaping of <, > and &) followed by
// one '\n'. Verifiers never re-encode: they check the signature over the file's bytes.
func (s *Statement) Encode() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrInvalidStatement, err)
	}
	return append(out, '\n'), nil
}

// ParseStatement reads statement.json, accepting only a valid statement in exactly the
// form Encode writes. It does not check the signature: see VerifyBytes.
func ParseStatement(data []byte) (*Statement, error) {
	if len(data) > maxStatementSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidStatement, len(data), maxStatementSize)
	}
	var s Statement
	if err := decodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrInvalidStatement, err)
	}
	canonical, err := s.Encode()
	if err != nil {
		return nil, err
	}
	if err := checkCanonical(data, canonical); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, err)
	}
	return &s, nil
}
