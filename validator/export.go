package validator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/internal/atomicfile"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Exported is a checkpoint's model written as ONNX and checked against ONNX Runtime.
type Exported struct {
	Step       int64
	Test       loop.Scores // the Go forward pass on the test split
	Path       string      // dir/model.onnx
	SHA256     string
	MaxAbsDiff float64 // largest |ONNX Runtime − Go| on the raw test split
}

// Export writes dir/model.onnx for a committed checkpoint: the model of that
// checkpoint, scored on the spec's test split, with its provenance in the metadata,
// written only after ONNX Runtime reproduced the Go forward pass on the raw test split
// within the spec's tolerance. It is how a model trained on the cluster leaves it.
func (s *Session) Export(ctx context.Context, manifestSHA, dir string) (*Exported, error) {
	m, err := s.OpenModel(ctx, manifestSHA)
	if err != nil {
		return nil, err
	}
	test, _, err := loop.Evaluate(m.Net, m.Params, m.Data.Test)
	if err != nil {
		return nil, fmt.Errorf("export %s: test split: %w", s.Spec.Name, err)
	}
	model, diff, err := onnx.ExportChecked(m.Net, m.Params, &m.Manifest.Preprocess, m.provenance(s, test).Metadata(),
		m.Data.Test.Raw, m.Data.Test.N, s.Spec.Export.Tolerance)
	if err != nil {
		return nil, onnx.Refused("export "+s.Spec.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export %s: %w", s.Spec.Name, err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := atomicfile.Write(path, model); err != nil {
		return nil, err
	}
	return &Exported{Step: m.Step(), Test: test, Path: path, SHA256: storage.Digest(model), MaxAbsDiff: diff}, nil
}

// provenance is what the model's ONNX metadata records about where it came from.
func (m *Model) provenance(s *Session, test loop.Scores) onnx.Provenance {
	return onnx.Provenance{
		Experiment: s.Spec.Name, Architecture: m.Net.Architecture, Head: string(m.Net.Head),
		SpecSHA256: s.Spec.Hash(), DatasetSHA256: m.Data.Hash, Checkpoint: m.ManifestSHA,
		Features: m.Data.Features, Classes: m.Data.Classes,
		TestAccuracy: test.Accuracy, TestAUROC: test.AUROC, CodeVersion: version.String(),
	}
}
