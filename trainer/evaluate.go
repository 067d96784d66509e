package trainer

import (
	"bytes"
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Evaluation is a clinical report of one checkpoint on one split, stored beside it.
type Evaluation struct {
	Report *metrics.ClinicalReport
	Key    string // where the JSON report is stored
}

// ReportKey is where the evaluation of a checkpoint on a split is stored.
func ReportKey(manifestSHA, split string) string {
	return "reports/" + manifestSHA + "/" + split + ".json"
}

// EvaluateCheckpoint runs a committed checkpoint on a held-out split of its dataset and
// returns the clinical report, which it also stores beside the checkpoint.
func EvaluateCheckpoint(ctx context.Context, spec *experiments.Spec, store storage.Store, resolve DatasetResolver, manifestSHA, split string, threshold float64) (*Evaluation, error) {
	l, err := checkpoint.Load(ctx, store, manifestSHA)
	if err != nil {
		return nil, err
	}
	data, err := LoadData(ctx, spec, store, resolve, 0, 1)
	if err != nil {
		return nil, err
	}
	if l.Manifest.DatasetHash != data.Hash {
		return nil, fmt.Errorf("evaluate %s: checkpoint %s was trained on dataset %.12s, the spec's file is %.12s", spec.Name, manifestSHA, l.Manifest.DatasetHash, data.Hash)
	}
	var part loop.Split
	switch split {
	case "test":
		part = data.Test
	case "validation":
		part = data.Validation
	default:
		return nil, fmt.Errorf("evaluate %s: split %q: want test or validation", spec.Name, split)
	}
	net := l.Manifest.Network
	params := models.InitParams(net, 0)
	if err := l.RestoreParams(params); err != nil {
		return nil, err
	}
	probs, err := models.Infer(net, params, part.X, part.N)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", spec.Name, err)
	}
	rep, err := metrics.Report(probs, part.Y, metrics.ReportOptions{ClassNames: data.Classes, Threshold: threshold, Subgroups: part.Subgroups})
	if err != nil {
		return nil, fmt.Errorf("evaluate %s at step %d: %w", spec.Name, l.Manifest.Cursor.Step, err)
	}
	body, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	key := ReportKey(manifestSHA, split)
	if err := store.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
		return nil, fmt.Errorf("store the report of %s: %w", manifestSHA, err)
	}
	return &Evaluation{Report: rep, Key: key}, nil
}
