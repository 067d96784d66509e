package trainer

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// TestTrainLocalEndToEnd is issue 2's bar: wdbc-mlp reaches test accuracy ≥ 0.95 and
// AUROC ≥ 0.98, is exported, and ONNX Runtime reproduces the Go predictions on the
// raw test rows within 1e-4.
func TestTrainLocalEndToEnd(t *testing.T) {
	spec, err := experiments.Load("../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Dataset.Path = filepath.Join("..", spec.Dataset.Path)
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := TrainLocal(t.Context(), LocalConfig{Spec: spec, Store: store, OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	test := res.Train.Test
	if test.Accuracy < 0.95 || test.AUROC < 0.98 {
		t.Fatalf("test accuracy %.4f (want ≥ 0.95), AUROC %.4f (want ≥ 0.98)", test.Accuracy, test.AUROC)
	}
	model, err := os.ReadFile(res.ONNXPath)
	if err != nil {
		t.Fatal(err)
	}
	if storage.Digest(model) != res.ONNXSHA256 {
		t.Fatal("the ONNX file on disk is not the one that was verified")
	}
	data, err := loop.LoadTabular(spec.Dataset, spec.Training.Seed)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	probs, err := sess.Run(data.Test.Raw, data.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != len(res.Train.TestProbs) {
		t.Fatalf("ONNX gave %d outputs, Go %d", len(probs), len(res.Train.TestProbs))
	}
	for i := range probs {
		if d := math.Abs(float64(probs[i] - res.Train.TestProbs[i])); d > 1e-4 {
			t.Fatalf("test row %d: ONNX Runtime %g, Go %g", i, probs[i], res.Train.TestProbs[i])
		}
	}
	meta, err := onnx.ReadMetadata(model)
	if err != nil {
		t.Fatal(err)
	}
	if meta["dxtrain.spec_sha256"] != spec.Hash() || meta["dxtrain.dataset_sha256"] != res.DatasetSHA256 || meta["dxtrain.checkpoint"] == "" {
		t.Fatalf("provenance metadata missing or wrong: %v", meta)
	}
}
