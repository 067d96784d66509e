package trainer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/internal/atomicfile"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// LocalConfig is one experiment trained in this process, without a cluster.
type LocalConfig struct {
	Spec *experiments.Spec
	// SpecSource is the spec's YAML as read; when set it is kept in the store beside
	// the checkpoints, so the validator's tools can read the run with --store alone.
	SpecSource []byte
	Store      storage.Store     // checkpoint blobs
	Ledger     checkpoint.Ledger // nil: a StoreLedger on Store
	Resume     bool
	OutDir     string // where model.onnx and summary.json are written
	Progress   func(loop.Progress)
	Logger     *slog.Logger
	// Report, when set, is told which checkpoints a resume refused and which one it
	// continued from (the command line passes stderr).
	Report io.Writer
}

// LocalResult is what a local run produced.
type LocalResult struct {
	Train         *loop.Result
	ONNXPath      string  // empty when the spec does not export
	ONNXMaxDiff   float64 // largest |ONNX Runtime − Go| on the test split
	ONNXSHA256    string
	SummaryPath   string
	DatasetSHA256 string
}

// Summary is the JSON a run leaves beside its model.
type Summary struct {
	Experiment    string      `json:"experiment"`
	SpecSHA256    string      `json:"spec_sha256"`
	DatasetSHA256 string      `json:"dataset_sha256"`
	Steps         int64       `json:"steps"`
	Validation    loop.Scores `json:"validation"`
	Test          loop.Scores `json:"test"`
	SamplesPerSec float64     `json:"samples_per_sec"`
	// TrainSamplesPerSec is the training steps' rate without the time the loop spent
	// validating and handing over checkpoints (ValidationSeconds, CheckpointSeconds).
	TrainSamplesPerSec float64 `json:"train_samples_per_sec"`
	ValidationSeconds  float64 `json:"validation_seconds"`
	CheckpointSeconds  float64 `json:"checkpoint_seconds"`
	Checkpoint         string  `json:"checkpoint_manifest_sha256,omitempty"`
	ONNX               string  `json:"onnx,omitempty"`
	ONNXSHA256         string  `json:"onnx_sha256,omitempty"`
	ONNXMaxDiff        float64 `json:"onnx_max_abs_diff,omitempty"`
	CodeVersion        string  `json:"code_version"`
}

// TrainLocal loads the spec's dataset, trains, and exports the model to ONNX checked
// against ONNX Runtime on the test split, refusing a model that does not match.
func TrainLocal(ctx context.Context, cfg LocalConfig) (*LocalResult, error) {
	spec := cfg.Spec
	if cfg.Ledger == nil {
		cfg.Ledger = checkpoint.StoreLedger{Store: cfg.Store}
	}
	if cfg.Report != nil {
		cfg.Ledger = reportingLedger{Ledger: cfg.Ledger, w: cfg.Report}
	}
	if cfg.SpecSource != nil {
		if err := checkpoint.SaveSpec(ctx, cfg.Store, spec.Hash(), cfg.SpecSource); err != nil {
			return nil, err
		}
	}
	data, err := loop.LoadData(ctx, spec, cfg.Store, ingest.NewLocalRegistry(cfg.Store).ManifestOf, 0, 1)
	if err != nil {
		return nil, err
	}
	res, err := loop.Run(ctx, loop.Config{
		Spec: spec, Data: data, Store: cfg.Store, Ledger: cfg.Ledger, Resume: cfg.Resume,
		Progress: cfg.Progress, Logger: cfg.Logger, CodeVersion: version.String(),
	})
	if err != nil {
		return nil, err
	}
	out := &LocalResult{Train: res, DatasetSHA256: data.Hash}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	sum := Summary{
		Experiment: spec.Name, SpecSHA256: spec.Hash(), DatasetSHA256: data.Hash, Steps: res.Steps,
		Validation: res.Validation, Test: res.Test, SamplesPerSec: res.SamplesPerSec, CodeVersion: version.String(),
		TrainSamplesPerSec: res.TrainSamplesPerSec, ValidationSeconds: res.ValidationTime.Seconds(), CheckpointSeconds: res.CheckpointTime.Seconds(),
	}
	sum.Checkpoint = res.FinalCheckpoint
	if spec.Export.ONNX {
		if err := exportLocal(spec, data, res, out, cfg.OutDir); err != nil {
			return nil, err
		}
		sum.ONNX, sum.ONNXSHA256, sum.ONNXMaxDiff = out.ONNXPath, out.ONNXSHA256, out.ONNXMaxDiff
	}
	out.SummaryPath = filepath.Join(cfg.OutDir, "summary.json")
	if err := atomicfile.WriteJSON(out.SummaryPath, sum); err != nil {
		return nil, err
	}
	return out, nil
}

// exportLocal writes dir/model.onnx for the run's final parameters, only after ONNX
// Runtime reproduced the Go forward pass on the raw test split within the spec's
// tolerance; a model that does not is refused and nothing is written.
func exportLocal(spec *experiments.Spec, data *loop.Data, res *loop.Result, out *LocalResult, dir string) error {
	prov := onnx.Provenance{
		Experiment: spec.Name, Architecture: res.Network.Architecture, Head: string(res.Network.Head),
		SpecSHA256: spec.Hash(), DatasetSHA256: data.Hash, Checkpoint: res.FinalCheckpoint,
		Features: data.Features, Classes: data.Classes,
		TestAccuracy: res.Test.Accuracy, TestAUROC: res.Test.AUROC, CodeVersion: version.String(),
	}
	model, diff, err := onnx.ExportChecked(res.Network, res.Params, &res.Preprocess, prov.Metadata(), data.Test.Raw, data.Test.N, spec.Export.Tolerance)
	if err != nil {
		return onnx.Refused("export "+spec.Name, err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := atomicfile.Write(path, model); err != nil {
		return err
	}
	out.ONNXPath, out.ONNXSHA256, out.ONNXMaxDiff = path, storage.Digest(model), diff
	return nil
}
