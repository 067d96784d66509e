package validator

import (
	"context"
	"fmt"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Session is one experiment as a validator sees it: the spec it was submitted with,
// its committed checkpoints, the store that holds them and where its dataset's name
// resolves.
type Session struct {
	Experiment  string // as the validator named it
	Spec        *experiments.Spec
	Store       storage.Store // nil for commands that read the ledger only
	Datasets    loop.DatasetResolver
	Checkpoints []structs.Checkpoint // the ledger, oldest step first

	last *checkpoint.Loaded // the checkpoint load read most recently
}

// OpenCluster reads the experiment's spec and checkpoint ledger from the coordinator.
func OpenCluster(ctx context.Context, api *client.Client, store storage.Store, experiment string) (*Session, error) {
	exp, err := api.Experiment(ctx, experiment)
	if err != nil {
		return nil, err
	}
	spec, err := experiments.Parse([]byte(exp.SpecYAML), exp.Name+".yaml")
	if err != nil {
		return nil, err
	}
	cps, err := api.Checkpoints(ctx, exp.ID)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(cps, func(a, b structs.Checkpoint) int { return compareSteps(a.Step, b.Step) })
	return &Session{Experiment: experiment, Spec: spec, Store: store, Datasets: api.DatasetManifest, Checkpoints: cps}, nil
}

func compareSteps(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// At is the committed checkpoint at step (the one committed last, where a resume
// wrote a step twice).
func (s *Session) At(step int64) (structs.Checkpoint, error) {
	for i := len(s.Checkpoints) - 1; i >= 0; i-- {
		if s.Checkpoints[i].Step == step {
			return s.Checkpoints[i], nil
		}
	}
	return structs.Checkpoint{}, fmt.Errorf("experiment %s has no committed checkpoint at step %d", s.Experiment, step)
}

// load reads a committed checkpoint, verifying every blob. The checkpoint last loaded
// is kept: replay's links chain, so each one's target is the next one's start and is
// read (and hashed) from the store once.
func (s *Session) load(ctx context.Context, c structs.Checkpoint) (*checkpoint.Loaded, error) {
	if s.last != nil && s.last.ManifestSHA == c.ManifestHash {
		return s.last, nil
	}
	l, err := checkpoint.Load(ctx, s.Store, c.ManifestHash)
	if err != nil {
		return nil, err
	}
	s.last = l
	return l, nil
}
