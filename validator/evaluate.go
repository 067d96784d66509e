package validator

import (
	"bytes"
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Evaluation is a clinical report of one checkpoint on one split, stored beside it.
type Evaluation struct {
	Report *metrics.ClinicalReport
	Key    string // where the JSON report is stored
}

// Evaluate runs a committed checkpoint on a held-out split of its dataset and returns
// the clinical report, which it also stores beside the checkpoint.
//
// A torch run's checkpoint is evaluated through the ONNX model its script exported
// with it, in ONNX Runtime: the report does not depend on PyTorch.
func (s *Session) Evaluate(ctx context.Context, manifestSHA, split string, threshold float64) (*Evaluation, error) {
	var rep *metrics.ClinicalReport
	var err error
	if s.Spec.IsTorch() {
		rep, err = s.evaluateTorch(ctx, manifestSHA, split, threshold)
	} else {
		rep, err = s.evaluateNative(ctx, manifestSHA, split, threshold)
	}
	if err != nil {
		return nil, err
	}
	body, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	key := structs.ReportKey(manifestSHA, split)
	if err := s.Store.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
		return nil, fmt.Errorf("store the report of %s: %w", manifestSHA, err)
	}
	return &Evaluation{Report: rep, Key: key}, nil
}

func (s *Session) evaluateNative(ctx context.Context, manifestSHA, split string, threshold float64) (*metrics.ClinicalReport, error) {
	m, err := s.OpenModel(ctx, manifestSHA)
	if err != nil {
		return nil, err
	}
	part, err := m.Split(split)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", s.Spec.Name, err)
	}
	rep, err := m.report(part, threshold)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s at step %d: %w", s.Spec.Name, m.Step(), err)
	}
	return rep, nil
}

// report is the clinical report of the model on one split.
func (m *Model) report(part loop.Split, threshold float64) (*metrics.ClinicalReport, error) {
	probs, err := models.Infer(m.Net, m.Params, part.X, part.N)
	if err != nil {
		return nil, err
	}
	return m.reportOf(probs, part, threshold)
}

// reportOf is the clinical report of probs, the model's outputs on part.
func (m *Model) reportOf(probs []float32, part loop.Split, threshold float64) (*metrics.ClinicalReport, error) {
	return metrics.Report(probs, part.Y, metrics.ReportOptions{ClassNames: m.Data.Classes, Threshold: threshold, Subgroups: part.Subgroups})
}
