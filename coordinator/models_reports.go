package coordinator

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// reportHeader is what the registry reads of a site report to check it: the signer's
// key and what it is about. The evaluation itself stays opaque to the control plane.
type reportHeader struct {
	Site            string `json:"site"`
	SiteKey         string `json:"site_key"`
	SitePublicKey   string `json:"site_public_key"`
	ModelName       string `json:"model_name"`
	ModelVersion    string `json:"model_version"`
	ONNXSHA256      string `json:"onnx_sha256"`
	StatementSHA256 string `json:"statement_sha256"`
}

// submitReportEndpoint keeps a trust's signed site report beside a version. It refuses
// a report whose signature does not verify under the key it carries, whose key is not
// the fingerprint it names, or which names another model, version, model.onnx or
// statement.json than this version's — before anything is proposed.
func (s *Server) submitReportEndpoint(rc *reqCtx) (any, error) {
	name := rc.r.PathValue("name")
	v, err := versionParam(rc)
	if err != nil {
		return nil, err
	}
	var a structs.ModelReportArgs
	if err := rc.decode(&a); err != nil {
		return nil, err
	}
	if len(a.Report) == 0 || len(a.Report) > structs.MaxSiteReportSize {
		return nil, structs.Invalid("report", fmt.Sprintf("is %d bytes, want 1 to %d", len(a.Report), structs.MaxSiteReportSize))
	}
	h, err := checkReportSignature(a.Report, a.Signature)
	if err != nil {
		return nil, err
	}
	if err := rc.leaderOnly(); err != nil {
		return nil, err
	}
	m, err := s.State().ModelVersion(name, v)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Revoked:
		return nil, fmt.Errorf("model %s version %d is revoked (%s): %w", name, v, m.RevokedReason, structs.ErrGone)
	case h.ModelName != name || h.ModelVersion != strconv.Itoa(v):
		return nil, structs.Invalid("report", fmt.Sprintf("it is about %s@%s, not %s@%d", h.ModelName, h.ModelVersion, name, v))
	case h.ONNXSHA256 != m.ONNXSHA256:
		return nil, structs.Invalid("report", fmt.Sprintf("its model hash %s is not version %d's model.onnx %s", h.ONNXSHA256, v, m.ONNXSHA256))
	case h.StatementSHA256 != m.StatementSHA256:
		return nil, structs.Invalid("report", fmt.Sprintf("its statement hash %s is not version %d's statement.json %s", h.StatementSHA256, v, m.StatementSHA256))
	}
	sum := sha256.Sum256([]byte(a.Report))
	r := structs.SiteReport{Model: name, Version: v, Site: h.Site, SiteKey: h.SiteKey, SHA256: hex.EncodeToString(sum[:]),
		Report: a.Report, Signature: a.Signature}
	idx, err := s.apply(structs.ModelReportSubmitRequestType, &structs.ModelReportSubmitRequest{
		WriteRequest: rc.write("model_report_submit", fmt.Sprintf("%s@%d by %s (key %s)", name, v, h.Site, h.SiteKey)), Report: r})
	if err != nil {
		return nil, err
	}
	return structs.ModelReportResponse{SHA256: r.SHA256, Index: idx}, nil
}

// checkReportSignature verifies an ed25519 signature (base64, as statement.sig) over the
// report's bytes under the public key the report carries, and that the key's
// fingerprint (the first 16 hex digits of its SHA-256) is the one the report names.
func checkReportSignature(report, signature string) (*reportHeader, error) {
	var h reportHeader
	if err := json.Unmarshal([]byte(report), &h); err != nil {
		return nil, structs.Invalid("report", "is not a JSON site report")
	}
	if err := checkText("report.site", h.Site, 256); err != nil {
		return nil, err
	}
	pub, err := base64.StdEncoding.Strict().DecodeString(h.SitePublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, structs.Invalid("report.site_public_key", fmt.Sprintf("want base64 of a %d-byte ed25519 key", ed25519.PublicKeySize))
	}
	fp := sha256.Sum256(pub)
	if got := hex.EncodeToString(fp[:])[:16]; got != h.SiteKey {
		return nil, structs.Invalid("report.site_key", fmt.Sprintf("%q is not the fingerprint of the report's key (%s)", h.SiteKey, got))
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(string(bytes.TrimSpace([]byte(signature))))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, structs.Invalid("signature", fmt.Sprintf("want base64 of a %d-byte ed25519 signature", ed25519.SignatureSize))
	}
	if !ed25519.Verify(pub, []byte(report), sig) {
		return nil, structs.Invalid("signature", fmt.Sprintf("does not verify the report under its key %s: the report or the signature was altered", h.SiteKey))
	}
	return &h, nil
}
