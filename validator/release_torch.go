package validator

import (
	"context"
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// loadTorchRelease is prepareRelease for a torch run: the ONNX model the script
// exported with the checkpoint, checked again in ONNX Runtime against the outputs the
// script recorded from PyTorch, and evaluated on the test split through ONNX Runtime.
func (s *Session) loadTorchRelease(ctx context.Context, cfg *ReleaseConfig, cp structs.Checkpoint) (*releaseInput, error) {
	m, err := s.OpenTorchModel(ctx, cp.ManifestHash)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if err := m.loadSamples(ctx, s.Store); err != nil {
		return nil, fmt.Errorf("release %s at %s: %w", s.Spec.Name, Describe(cp), err)
	}
	if _, err := onnx.CheckSamples(m.ONNX, m.SampleInputs, m.SampleOutputs); err != nil {
		return nil, onnx.Refused(fmt.Sprintf("release %s at %s: the ONNX model %.12s", s.Spec.Name, Describe(cp), m.Artifact.SHA256), err)
	}
	rep, err := m.Report("test", cfg.Threshold)
	if err != nil {
		return nil, fmt.Errorf("release %s at %s: %w", s.Spec.Name, Describe(cp), err)
	}
	evaluation, err := rep.JSON()
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", s.Spec.Name, err)
	}
	summary := summarise(rep)
	producer, producerVersion, err := onnx.ReadProducer(m.ONNX)
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", s.Spec.Name, err)
	}
	framework := strings.TrimSpace(producer + " " + producerVersion)
	architecture := fmt.Sprintf("PyTorch script %s", s.Spec.Code.Entrypoint)
	meta := onnx.Provenance{
		Experiment: s.Spec.Name, Architecture: architecture, SpecSHA256: s.Spec.Hash(), DatasetSHA256: m.Data.Hash,
		Checkpoint: cp.ManifestHash, Features: m.Data.Features, Classes: m.Data.Classes,
		TestAccuracy: summary["test_accuracy"], TestAUROC: summary["test_auroc"], CodeVersion: version.String(),
	}.Metadata()
	meta["dxtrain.runtime"], meta["dxtrain.code_bundle"], meta["dxtrain.framework"] = checkpoint.RuntimeTorch, m.Manifest.CodeBundle, framework
	return &releaseInput{cfg: cfg, spec: s.Spec, cp: cp, data: m.Data, torch: m, architecture: architecture,
		runtime: checkpoint.RuntimeTorch, codeBundle: m.Manifest.CodeBundle, framework: framework,
		evaluation: evaluation, summary: summary, meta: meta}, nil
}

// loadSamples fetches, by hash, the sample inputs and outputs the script handed over
// with its model.
func (m *TorchModel) loadSamples(ctx context.Context, store storage.Store) error {
	if m.Artifact.SampleInputs == "" || m.Artifact.SampleOutputs == "" {
		return fmt.Errorf("the ONNX model %.12s was recorded without the script's sample outputs, so it cannot be checked again: export it again with this version of dxtrain",
			m.Artifact.SHA256)
	}
	var err error
	if m.SampleInputs, err = storage.GetBlob(ctx, store, m.Artifact.SampleInputs); err != nil {
		return fmt.Errorf("sample inputs of the ONNX model: %w", err)
	}
	if m.SampleOutputs, err = storage.GetBlob(ctx, store, m.Artifact.SampleOutputs); err != nil {
		return fmt.Errorf("sample outputs of the ONNX model: %w", err)
	}
	return nil
}
