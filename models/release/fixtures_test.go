package release

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/onnx"
)

// hashOf is a stand-in digest for the manifests and spec, which this package only
// copies and compares.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var (
	specHash       = hashOf("spec")
	datasetHash    = hashOf("dataset manifest")
	checkpointHash = hashOf("checkpoint manifest")
	features       = []string{"radius_mean", "texture_mean", "perimeter_mean"}
	classes        = []string{"benign", "malignant"}
	created        = time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
)

// exportModel exports a real logreg network on three features with the metadata the
// trainer writes, plus extra keys.
func exportModel(t testing.TB, extra map[string]string) []byte {
	t.Helper()
	net, err := models.NewNetwork(models.Options{Architecture: "logreg", InputShape: []int{len(features)}, Classes: len(classes)})
	if err != nil {
		t.Fatalf("new network: %v", err)
	}
	fj, _ := json.Marshal(features)
	cj, _ := json.Marshal(classes)
	meta := map[string]string{
		"dxtrain.experiment":     "wdbc-logreg",
		"dxtrain.spec_sha256":    specHash,
		"dxtrain.dataset_sha256": datasetHash,
		"dxtrain.checkpoint":     checkpointHash,
		"dxtrain.features":       string(fj),
		"dxtrain.classes":        string(cj),
		"dxtrain.code_version":   "v0.1.0",
		"dxtrain.architecture":   net.Architecture,
		"dxtrain.positive_class": "malignant",
	}
	for k, v := range extra {
		meta[k] = v
	}
	pre := &models.Preprocess{Mean: []float32{14, 19, 92}, Std: []float32{3.5, 4.3, 24}}
	model, err := onnx.Export(net, models.InitParams(net, 7), pre, meta)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return model
}

func testCard() Card {
	return Card{
		Schema:        CardSchema,
		Name:          "wdbc-malignancy",
		Version:       "1",
		Experiment:    "wdbc-logreg",
		IntendedUse:   "Second reader for fine-needle aspirate cytology reports.\nNot for screening.",
		IntendedUsers: "Pathologists at participating trusts",
		Dataset:       CardDataset{Description: "WDBC, 569 anonymised aspirates", ManifestSHA256: datasetHash},
		Training:      CardTraining{SpecSHA256: specHash, Seed: 42},
		Architecture:  "logreg",
		Classes:       classes,
		PositiveClass: "malignant",
		Features:      features,
		Evaluation:    json.RawMessage(`{"auroc":0.991,"auroc_ci":[0.98,0.997],"subgroups":{"age<50":{"auroc":0.99}}}`),
		Limitations:   []string{"Trained on one centre's data.", "Not validated on children."},
		CreatedAt:     created,
		CodeVersion:   "v0.1.0",
	}
}

func testStatement() Statement {
	return Statement{
		Schema:                   StatementSchema,
		ModelName:                "wdbc-malignancy",
		ModelVersion:             "1",
		CheckpointManifestSHA256: checkpointHash,
		DatasetManifestSHA256:    datasetHash,
		SpecSHA256:               specHash,
		CodeVersion:              "v0.1.0",
		Metrics:                  map[string]float64{"test_auroc": 0.991, "test_accuracy": 0.965},
		Approver:                 "Dr A. Approver <validator@example.org>",
		CreatedAt:                created,
	}
}

// newKey makes a key pair in memory.
func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// sealed returns a sealed release of a freshly exported model and the key that signed it.
func sealed(t testing.TB) (Files, ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv := newKey(t)
	f, err := Seal(exportModel(t, nil), testCard(), testStatement(), priv)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	return f, pub, priv
}
