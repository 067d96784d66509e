package validator

import (
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Model is a committed checkpoint opened for evaluation: its network with the trained
// parameters, and the held-out splits of the dataset it was trained on.
type Model struct {
	ManifestSHA string
	Manifest    *checkpoint.Manifest
	Net         models.Network
	Params      []*models.Param
	Data        *loop.Data // validation and test splits; no training loader
}

// OpenModel loads and verifies the checkpoint, refuses it when the experiment's spec
// or dataset is not the one it was trained with, and restores its parameters.
func (s *Session) OpenModel(ctx context.Context, manifestSHA string) (*Model, error) {
	l, err := checkpoint.Load(ctx, s.Store, manifestSHA)
	if err != nil {
		return nil, err
	}
	step := l.Manifest.Cursor.Step
	if l.Manifest.SpecHash != s.Spec.Hash() {
		return nil, fmt.Errorf("%s: checkpoint at step %d was written by spec %.12s, the experiment's is %.12s", s.Spec.Name, step, l.Manifest.SpecHash, s.Spec.Hash())
	}
	data, err := loop.LoadHeldOut(ctx, s.Spec, s.Store, s.Datasets)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Spec.Name, err)
	}
	if l.Manifest.DatasetHash != data.Hash {
		return nil, fmt.Errorf("%s: checkpoint at step %d was trained on dataset %.12s, the spec's is %.12s", s.Spec.Name, step, l.Manifest.DatasetHash, data.Hash)
	}
	net := l.Manifest.Network
	params := models.InitParams(net, 0) // shapes and names; values come from the checkpoint
	if err := l.RestoreParams(params); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Spec.Name, err)
	}
	return &Model{ManifestSHA: manifestSHA, Manifest: l.Manifest, Net: net, Params: params, Data: data}, nil
}

// Split is the named held-out split.
func (m *Model) Split(name string) (loop.Split, error) { return heldOut(m.Data, name) }

// heldOut is the named held-out split of data.
func heldOut(data *loop.Data, name string) (loop.Split, error) {
	switch name {
	case "test":
		return data.Test, nil
	case "validation":
		return data.Validation, nil
	}
	return loop.Split{}, fmt.Errorf("split %q: want test or validation", name)
}

// Step is the training step the checkpoint was written at.
func (m *Model) Step() int64 { return m.Manifest.Cursor.Step }
