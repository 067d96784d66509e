package validator

import (
	"testing"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// trainLocally trains spec in this process as `dxtrain train` does, committing its
// checkpoints to a ledger kept in store.
func trainLocally(t *testing.T, spec *experiments.Spec, store storage.Store) *loop.Result {
	t.Helper()
	data, err := loop.LoadData(t.Context(), spec, store, ingest.NewLocalRegistry(store).ManifestOf, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := loop.Run(t.Context(), loop.Config{Spec: spec, Data: data, Store: store, Ledger: checkpoint.StoreLedger{Store: store}, CodeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// localSession is the validator's view of a run trained by trainLocally.
func localSession(spec *experiments.Spec, store storage.Store) *Session {
	return &Session{Experiment: spec.Name, Spec: spec, Store: store, Datasets: ingest.NewLocalRegistry(store).ManifestOf}
}
