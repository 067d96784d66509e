package validator

import (
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"math"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
)

// TestEvaluateCheckpointStoresClinicalReport evaluates the final checkpoint of a local
// run: the report's AUROC is the loop's test AUROC, and the JSON is stored beside the
// checkpoint.
func TestEvaluateCheckpointStoresClinicalReport(t *testing.T) {
	spec, err := experiments.Load("../experiments/wdbc-logreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Dataset.Path = filepath.Join("..", spec.Dataset.Path)
	spec.Export.ONNX = false
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res := trainLocally(t, spec, store)
	s := localSession(spec, store)
	ev, err := s.Evaluate(t.Context(), res.FinalCheckpoint, "test", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	b := ev.Report.Overall.Binary
	if b == nil || math.Abs(float64(b.AUROC.Estimate)-res.Test.AUROC) > 1e-9 || ev.Report.CIMethod != "delong" {
		t.Fatalf("report AUROC %+v, loop's test AUROC %g", b, res.Test.AUROC)
	}
	if _, err := store.Stat(t.Context(), structs.ReportKey(res.FinalCheckpoint, "test")); err != nil {
		t.Fatalf("report not stored: %v", err)
	}
	if _, err := s.Evaluate(t.Context(), res.FinalCheckpoint, "train", 0.5); err == nil {
		t.Fatal("evaluating on the training split was accepted")
	}
}
