package structs

// MaxSiteReportSize bounds a submitted site report (aggregates only; a few kB).
const MaxSiteReportSize = 1 << 20

// SiteReport is a trust's signed external validation of one model version, kept beside
// the version: report.json and its signature exactly as the trust signed them, with
// what the registry checked before accepting it (the signature under the key the report
// carries, and that it names this version's model.onnx and statement.json).
type SiteReport struct {
	Model       string `json:"model"`
	Version     int    `json:"version"`
	Site        string `json:"site"`
	SiteKey     string `json:"site_key"` // fingerprint of the trust's ed25519 key
	SHA256      string `json:"sha256"`   // of Report, naming it
	Report      string `json:"report"`   // report.json, the signed bytes
	Signature   string `json:"signature"`
	SubmittedAt int64  `json:"submitted_at"`
	CreateIndex uint64 `json:"create_index"`
}

// ModelReportSubmitRequest stores a site report beside its version.
type ModelReportSubmitRequest struct {
	WriteRequest
	Report SiteReport `json:"report"`
}

// ModelReportArgs is POST /v1/models/{name}/versions/{version}/reports (trust).
type ModelReportArgs struct {
	Report    string `json:"report"`
	Signature string `json:"signature"`
}

// ModelReportResponse answers it.
type ModelReportResponse struct {
	SHA256 string `json:"sha256"`
	Index  uint64 `json:"index"`
}
