package structs

// The four files of a released model version. Each is a content-addressed blob the
// releaser uploaded before the commit; the registry records only their SHA-256.
const (
	ModelFileONNX      = "model.onnx"
	ModelFileCard      = "card.json"
	ModelFileStatement = "statement.json"
	ModelFileSignature = "statement.sig"
)

// ModelFiles lists the downloadable files of a version, in a fixed order.
var ModelFiles = []string{ModelFileONNX, ModelFileCard, ModelFileStatement, ModelFileSignature}

// ModelVersion is one immutable release of a named model. Only revocation changes
// it, and then only the Revoked* fields: the hashes, the approver and the pinned
// checkpoint stay as released, for audit.
type ModelVersion struct {
	Name string `json:"name"`
	// Version is 1-based and assigned by the leader: the next version for the name.
	Version         int                `json:"version"`
	ExperimentID    string             `json:"experiment_id"`
	CheckpointID    string             `json:"checkpoint_id"`
	CheckpointStep  int64              `json:"checkpoint_step"`
	ONNXSHA256      string             `json:"onnx_sha256"`
	CardSHA256      string             `json:"card_sha256"`
	StatementSHA256 string             `json:"statement_sha256"`
	SignatureSHA256 string             `json:"signature_sha256"`
	Approver        string             `json:"approver"`
	ApproverKey     string             `json:"approver_key"` // fingerprint of the approver's ed25519 public key
	Metrics         map[string]float64 `json:"metrics,omitempty"`
	CreatedAt       int64              `json:"created_at"`
	Revoked         bool               `json:"revoked"`
	RevokedReason   string             `json:"revoked_reason,omitempty"`
	RevokedAt       int64              `json:"revoked_at,omitempty"`
	CreateIndex     uint64             `json:"create_index"`
	ModifyIndex     uint64             `json:"modify_index"`
}

// Copy returns a deep copy.
func (m *ModelVersion) Copy() *ModelVersion {
	o := *m
	if m.Metrics != nil {
		o.Metrics = make(map[string]float64, len(m.Metrics))
		for k, v := range m.Metrics {
			o.Metrics[k] = v
		}
	}
	return &o
}

// FileSHA256 is the recorded hash of one of the ModelFiles; ok is false for any
// other name.
func (m *ModelVersion) FileSHA256(file string) (sha string, ok bool) {
	switch file {
	case ModelFileONNX:
		return m.ONNXSHA256, true
	case ModelFileCard:
		return m.CardSHA256, true
	case ModelFileStatement:
		return m.StatementSHA256, true
	case ModelFileSignature:
		return m.SignatureSHA256, true
	}
	return "", false
}

// ModelSummary is one entry of GET /v1/models: a name and its latest version.
type ModelSummary struct {
	Name          string       `json:"name"`
	LatestVersion int          `json:"latest_version"`
	Versions      int          `json:"versions"`
	Latest        ModelVersion `json:"latest"`
}

// ModelReleaseRequest commits a new version. It is refused when the (name, version)
// exists or is not the next version, or when the checkpoint is unknown, of another
// experiment or suspect; it pins the checkpoint in the same entry.
type ModelReleaseRequest struct {
	WriteRequest
	Version ModelVersion `json:"version"`
}

// ModelRevokeRequest marks a version revoked; its files stay for audit.
type ModelRevokeRequest struct {
	WriteRequest
	Name    string `json:"name"`
	Version int    `json:"version"`
	Reason  string `json:"reason"`
}

// ModelReleaseArgs is POST /v1/models (validator).
type ModelReleaseArgs struct {
	Name            string             `json:"name"`
	ExperimentID    string             `json:"experiment_id"`
	CheckpointID    string             `json:"checkpoint_id"`
	ONNXSHA256      string             `json:"onnx_sha256"`
	CardSHA256      string             `json:"card_sha256"`
	StatementSHA256 string             `json:"statement_sha256"`
	SignatureSHA256 string             `json:"signature_sha256"`
	Approver        string             `json:"approver"`
	ApproverKey     string             `json:"approver_key"`
	Metrics         map[string]float64 `json:"metrics,omitempty"`
}

// ModelReleaseResponse answers POST /v1/models.
type ModelReleaseResponse struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Index   uint64 `json:"index"`
}

// ModelRevokeArgs is POST /v1/models/{name}/versions/{version}/revoke.
type ModelRevokeArgs struct {
	Reason string `json:"reason"`
}

// HeaderSHA256 carries the expected SHA-256 of a downloaded model file, so a client
// can check what it received.
const HeaderSHA256 = "X-Dxtrain-SHA256"

// HeaderStoredCorrupt is set, to the blob's recorded SHA-256, on the error answer to a
// model file download whose stored copy no longer hashes right: the fault is the
// registry's object store, not the network, and retrying will not help.
const HeaderStoredCorrupt = "X-Dxtrain-Stored-Corrupt"

// SignedRevocations is a model's revocation list as its approver signed it
// (models/release.RevocationList's canonical bytes and their signature file), kept in
// the object store at RevocationsKey and served to trusts by the registry.
type SignedRevocations struct {
	List      string `json:"list"`
	Signature string `json:"signature"`
}

// RevocationsKey is where a model's signed revocation list is kept in the object store.
func RevocationsKey(model string) string { return "revocations/" + model + ".json" }
