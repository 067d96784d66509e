package release

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ReportSchema tags every site report.
const ReportSchema = "dxtrain.site-report.v1"

// maxReportSize bounds report.json before it is parsed (aggregates fit many times).
const maxReportSize = 1 << 20

// Site report errors.
var (
	// ErrInvalidReport means report.json is not a valid site report in canonical form.
	ErrInvalidReport = errors.New("invalid site report")
	// ErrReportSignature means report.sig does not verify report.json under the key the
	// report names: the report or the signature was altered after signing.
	ErrReportSignature = errors.New("site report signature does not verify: report.json or its signature was altered")
	// ErrReportMismatch means a signed report about another model, version or model file
	// than the one it is checked against.
	ErrReportMismatch = errors.New("site report is not about this release")
)

// SiteReport is a trust's external validation of one released version, signed with the
// trust's own key: who evaluated (site and key), what (the model's name, version, the
// SHA-256 of its model.onnx and statement.json), with which code, under which
// small-number floor, and the evaluation itself — aggregates only, every count at or
// above the floor (models/external writes it). report.json is Encode's output; its
// signature is made like statement.sig.
type SiteReport struct {
	Schema          string          `json:"schema"` // ReportSchema
	Site            string          `json:"site"`   // the trust, as it signs
	SiteKey         string          `json:"site_key"`
	SitePublicKey   string          `json:"site_public_key"` // base64 of the 32-byte ed25519 key whose Fingerprint is SiteKey
	ModelName       string          `json:"model_name"`
	ModelVersion    string          `json:"model_version"`
	ONNXSHA256      string          `json:"onnx_sha256"`
	StatementSHA256 string          `json:"statement_sha256"`
	CodeVersion     string          `json:"code_version"`
	SuppressBelow   int             `json:"suppress_below"` // the trust's floor: smaller counts are never shown
	CreatedAt       time.Time       `json:"created_at"`
	Evaluation      json.RawMessage `json:"evaluation"` // a JSON object
}

// Validate names the first field that is missing or malformed.
func (r *SiteReport) Validate() error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReport, err)
	}
	return nil
}

func (r *SiteReport) validate() error {
	if r.Schema != ReportSchema {
		return fmt.Errorf("schema %q, want %q", r.Schema, ReportSchema)
	}
	for _, err := range []error{
		checkText("site", r.Site, maxShortLen, false),
		checkFingerprint("site_key", r.SiteKey),
		checkName("model_name", r.ModelName),
		checkName("model_version", r.ModelVersion),
		checkDigest("onnx_sha256", r.ONNXSHA256),
		checkDigest("statement_sha256", r.StatementSHA256),
		checkText("code_version", r.CodeVersion, maxShortLen, false),
		checkTime("created_at", r.CreatedAt),
	} {
		if err != nil {
			return err
		}
	}
	pub, err := r.PublicKey()
	if err != nil {
		return err
	}
	if Fingerprint(pub) != r.SiteKey {
		return fmt.Errorf("site_key %s is not the fingerprint of site_public_key (%s)", r.SiteKey, Fingerprint(pub))
	}
	if r.SuppressBelow < 1 {
		return fmt.Errorf("suppress_below is %d, want at least 1", r.SuppressBelow)
	}
	if t := bytes.TrimSpace(r.Evaluation); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return fmt.Errorf("evaluation is not a JSON object")
	}
	return nil
}

// PublicKey decodes the site's public key from the report.
func (r *SiteReport) PublicKey() (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(r.SitePublicKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("site_public_key: want base64 of %d bytes", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// Encode validates r and returns report.json: indented (people read it), a final
// newline, the same bytes for the same report.
func (r *SiteReport) Encode() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrInvalidReport, err)
	}
	return append(out, '\n'), nil
}

// SignReport fills in the site's key and fingerprint, encodes r and signs it, returning
// report.json and its signature file.
func SignReport(r SiteReport, priv ed25519.PrivateKey) (report, sig []byte, err error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, nil, fmt.Errorf("sign site report: %w: private key has %d bytes", ErrInvalidKey, len(priv))
	}
	pub := priv.Public().(ed25519.PublicKey)
	r.Schema, r.SiteKey, r.SitePublicKey = ReportSchema, Fingerprint(pub), base64.StdEncoding.EncodeToString(pub)
	if report, err = r.Encode(); err != nil {
		return nil, nil, fmt.Errorf("sign site report: %w", err)
	}
	return report, EncodeSignature(Sign(report, priv)), nil
}

// VerifyReport checks sig over report under the public key the report carries and
// returns the report. The key is the site's own: compare its fingerprint (SiteKey)
// with the one the trust announced before believing who wrote it.
func VerifyReport(report, sig []byte) (*SiteReport, error) {
	if len(report) > maxReportSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidReport, len(report), maxReportSize)
	}
	raw, err := DecodeSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReportSignature, err)
	}
	var r SiteReport
	if err := decodeStrict(report, &r); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrInvalidReport, err)
	}
	pub, err := r.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReport, err)
	}
	if !ed25519.Verify(pub, report, raw) {
		return nil, fmt.Errorf("%w (the report names key %s)", ErrReportSignature, Fingerprint(pub))
	}
	canonical, err := r.Encode()
	if err != nil {
		return nil, err
	}
	if err := checkCanonical(report, canonical); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReport, err)
	}
	return &r, nil
}

// CheckAgainst refuses a report about anything but the verified release v: another
// name or version, another model.onnx or statement.json.
func (r *SiteReport) CheckAgainst(v *Verified) error {
	switch {
	case r.ModelName != v.Statement.ModelName || r.ModelVersion != v.Statement.ModelVersion:
		return fmt.Errorf("%w: it is about %s@%s, the release is %s@%s", ErrReportMismatch, r.ModelName, r.ModelVersion, v.Statement.ModelName, v.Statement.ModelVersion)
	case r.ONNXSHA256 != v.Statement.ONNXSHA256:
		return fmt.Errorf("%w: it evaluated model.onnx %s, the release's is %s", ErrReportMismatch, r.ONNXSHA256, v.Statement.ONNXSHA256)
	case r.StatementSHA256 != digest(v.Files.Statement):
		return fmt.Errorf("%w: it names statement.json %s, the release's is %s", ErrReportMismatch, r.StatementSHA256, digest(v.Files.Statement))
	}
	return nil
}
