package validator

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// ErrNoExport means a torch run's checkpoint has no ONNX model exported with it: only
// the checkpoints a script exported at (ctx.save_onnx) can be evaluated or released.
var ErrNoExport = errors.New("no ONNX model was exported with this checkpoint")

// onnxBatch bounds the rows one ONNX Runtime call scores.
const onnxBatch = 256

// TorchModel is a torch run's checkpoint as a validator evaluates and releases it: the
// ONNX model its script exported with it (hash-checked) and the held-out splits of the
// dataset the checkpoint names.
type TorchModel struct {
	Checkpoint structs.Checkpoint
	Manifest   *checkpoint.Manifest
	Artifact   structs.Artifact
	ONNX       []byte
	Data       *loop.Data
	// SampleInputs and SampleOutputs are the .npy samples the script handed over with
	// the model (loaded for a release only).
	SampleInputs, SampleOutputs []byte
}

// OpenTorchModel loads what evaluating or releasing a torch checkpoint needs.
func (s *Session) OpenTorchModel(ctx context.Context, manifestSHA string) (*TorchModel, error) {
	cp, err := s.Resolve(manifestSHA)
	if err != nil {
		return nil, err
	}
	art, ok := s.exportAt(cp)
	if !ok {
		return nil, fmt.Errorf("%s: %s: %w (the script exports with ctx.save_onnx; exported at: %s)",
			s.Spec.Name, Describe(cp), ErrNoExport, s.exportSteps())
	}
	m, err := checkpoint.Verify(ctx, s.Store, cp.ManifestHash)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", s.Spec.Name, Describe(cp), err)
	}
	model, err := storage.GetBlob(ctx, s.Store, art.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%s: the ONNX model of %s: %w", s.Spec.Name, Describe(cp), err)
	}
	data, err := loop.LoadIngestedHeldOut(ctx, s.Store, m.DatasetHash)
	if err != nil {
		return nil, fmt.Errorf("%s: dataset %.12s: %w", s.Spec.Name, m.DatasetHash, err)
	}
	return &TorchModel{Checkpoint: cp, Manifest: m, Artifact: art, ONNX: model, Data: data}, nil
}

// exportAt is the newest ONNX model recorded at the checkpoint's step by the attempt
// that committed it.
func (s *Session) exportAt(cp structs.Checkpoint) (structs.Artifact, bool) {
	for i := len(s.Artifacts) - 1; i >= 0; i-- {
		if a := s.Artifacts[i]; a.Name == "model.onnx" && a.Step == cp.Step {
			return a, true
		}
	}
	return structs.Artifact{}, false
}

func (s *Session) exportSteps() string {
	var steps []string
	for _, a := range s.Artifacts {
		if a.Name == "model.onnx" {
			steps = append(steps, fmt.Sprintf("step %d", a.Step))
		}
	}
	if len(steps) == 0 {
		return "none"
	}
	return strings.Join(steps, ", ")
}

// Probabilities runs the ONNX model over a split's raw rows in ONNX Runtime.
func (m *TorchModel) Probabilities(part loop.Split) ([]float32, error) {
	sess, err := onnx.Load(m.ONNX)
	if err != nil {
		return nil, fmt.Errorf("the ONNX model %.12s does not load: %w", m.Artifact.SHA256, err)
	}
	defer sess.Close()
	if part.N == 0 || len(part.Raw) != part.N*sess.InputSize() {
		return nil, fmt.Errorf("the ONNX model %.12s reads %d values per row; the split has %d rows of %d", m.Artifact.SHA256,
			sess.InputSize(), part.N, len(part.Raw)/max(part.N, 1))
	}
	in := sess.InputSize()
	probs := make([]float32, 0, part.N*sess.OutputSize())
	for lo := 0; lo < part.N; lo += onnxBatch {
		n := min(onnxBatch, part.N-lo)
		out, err := sess.Run(part.Raw[lo*in:(lo+n)*in], n)
		if err != nil {
			return nil, err
		}
		probs = append(probs, out...)
	}
	return probs, nil
}

// Report is the clinical report of the ONNX model on a held-out split.
func (m *TorchModel) Report(split string, threshold float64) (*metrics.ClinicalReport, error) {
	part, err := heldOut(m.Data, split)
	if err != nil {
		return nil, err
	}
	probs, err := m.Probabilities(part)
	if err != nil {
		return nil, err
	}
	return metrics.Report(probs, part.Y, metrics.ReportOptions{ClassNames: m.Data.Classes, Threshold: threshold, Subgroups: part.Subgroups})
}

func (s *Session) evaluateTorch(ctx context.Context, manifestSHA, split string, threshold float64) (*metrics.ClinicalReport, error) {
	m, err := s.OpenTorchModel(ctx, manifestSHA)
	if err != nil {
		return nil, err
	}
	rep, err := m.Report(split, threshold)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s at %s: %w", s.Spec.Name, Describe(m.Checkpoint), err)
	}
	return rep, nil
}
