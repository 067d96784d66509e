package trainer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// exportInput is a trained model and the provenance its ONNX file records.
type exportInput struct {
	spec       *experiments.Spec
	data       *loop.Data
	net        models.Network
	params     []*models.Param
	pre        models.Preprocess
	test       loop.Scores
	checkpoint string // manifest SHA-256 of the checkpoint holding these parameters
}

// exportONNX writes dir/model.onnx after ONNX Runtime reproduced the Go forward pass
// on the raw test split within the spec's tolerance; a model that does not is refused
// and nothing is written.
func exportONNX(in exportInput, dir string) (path, sha string, maxDiff float64, err error) {
	model, err := onnx.Export(in.net, in.params, &in.pre, exportMetadata(in))
	if err != nil {
		return "", "", 0, err
	}
	maxDiff, err = onnx.Verify(model, in.net, in.params, &in.pre, in.data.Test.Raw, in.data.Test.N, in.spec.Export.Tolerance)
	if err != nil {
		return "", "", maxDiff, fmt.Errorf("export %s: refused: %w", in.spec.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", 0, fmt.Errorf("export %s: %w", in.spec.Name, err)
	}
	path = filepath.Join(dir, "model.onnx")
	if err := writeFileAtomic(path, model); err != nil {
		return "", "", 0, err
	}
	return path, storage.Digest(model), maxDiff, nil
}

// exportMetadata is the provenance every exported model carries in its metadata props.
func exportMetadata(in exportInput) map[string]string {
	features, _ := json.Marshal(in.data.Features)
	classes, _ := json.Marshal(in.data.Classes)
	return map[string]string{
		"dxtrain.experiment":     in.spec.Name,
		"dxtrain.architecture":   in.net.Architecture,
		"dxtrain.spec_sha256":    in.spec.Hash(),
		"dxtrain.dataset_sha256": in.data.Hash,
		"dxtrain.checkpoint":     in.checkpoint,
		"dxtrain.features":       string(features),
		"dxtrain.classes":        string(classes),
		"dxtrain.positive_class": in.data.Classes[len(in.data.Classes)-1],
		"dxtrain.head":           string(in.net.Head),
		"dxtrain.input_is_raw":   "true",
		"dxtrain.test_accuracy":  strconv.FormatFloat(in.test.Accuracy, 'f', 6, 64),
		"dxtrain.test_auroc":     strconv.FormatFloat(in.test.AUROC, 'f', 6, 64),
		"dxtrain.code_version":   version.String(),
	}
}

// ExportCheckpoint exports the model of a committed checkpoint: it loads and verifies
// the checkpoint, scores it on the spec's test split, and writes dir/model.onnx checked
// against ONNX Runtime. It is how a model trained on the cluster leaves it.
func ExportCheckpoint(ctx context.Context, spec *experiments.Spec, store storage.Store, resolve DatasetResolver, manifestSHA, dir string) (*LocalResult, error) {
	l, err := checkpoint.Load(ctx, store, manifestSHA)
	if err != nil {
		return nil, err
	}
	data, err := LoadData(ctx, spec, store, resolve, 0, 1)
	if err != nil {
		return nil, err
	}
	if l.Manifest.DatasetHash != data.Hash {
		return nil, fmt.Errorf("export %s: checkpoint %s was trained on dataset %.12s, the spec's file is %.12s", spec.Name, manifestSHA, l.Manifest.DatasetHash, data.Hash)
	}
	net := l.Manifest.Network
	params := models.InitParams(net, 0) // shapes and names; values come from the checkpoint
	if err := l.RestoreParams(params); err != nil {
		return nil, err
	}
	test, probs, err := loop.Evaluate(net, params, data.Test)
	if err != nil {
		return nil, fmt.Errorf("export %s: test split: %w", spec.Name, err)
	}
	out := &LocalResult{DatasetSHA256: data.Hash, Train: &loop.Result{Network: net, Params: params,
		Preprocess: l.Manifest.Preprocess, Steps: l.Manifest.Cursor.Step, Test: test, TestProbs: probs, FinalCheckpoint: manifestSHA}}
	in := exportInput{spec: spec, data: data, net: net, params: params, pre: l.Manifest.Preprocess, test: test, checkpoint: manifestSHA}
	if out.ONNXPath, out.ONNXSHA256, out.ONNXMaxDiff, err = exportONNX(in, dir); err != nil {
		return nil, err
	}
	return out, nil
}
