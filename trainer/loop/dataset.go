package loop

import (
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
)

// DatasetResolver finds the manifest of a dataset ingested under a name: the
// coordinator's record in a cluster, the store's own registry on one machine.
type DatasetResolver func(ctx context.Context, name string) (manifestSHA string, err error)

// LoadData prepares the spec's dataset for one rank: a CSV file read whole, or an
// ingested dataset streamed from its shards.
func LoadData(ctx context.Context, spec *experiments.Spec, store storage.Store, resolve DatasetResolver, rank, world int) (*Data, error) {
	if spec.Dataset.ID == "" {
		return LoadTabular(spec.Dataset, spec.Training.Seed)
	}
	sha, err := resolveDataset(ctx, spec, resolve)
	if err != nil {
		return nil, err
	}
	return LoadIngested(ctx, store, sha, spec.Training.Seed, spec.Training.BatchSize, rank, world)
}

// LoadHeldOut prepares the spec's validation and test splits only, for evaluating a
// trained model: an ingested dataset's training shards are not opened (Train holds
// its size alone) and no Source is set.
func LoadHeldOut(ctx context.Context, spec *experiments.Spec, store storage.Store, resolve DatasetResolver) (*Data, error) {
	if spec.Dataset.ID == "" {
		return LoadTabular(spec.Dataset, spec.Training.Seed)
	}
	sha, err := resolveDataset(ctx, spec, resolve)
	if err != nil {
		return nil, err
	}
	d, _, err := loadIngestedHeldOut(ctx, store, sha)
	return d, err
}

// LoadIngestedHeldOut reads the validation and test splits of the ingested dataset
// whose manifest has that hash (a torch checkpoint names it), checking every shard.
func LoadIngestedHeldOut(ctx context.Context, store storage.Store, manifestSHA string) (*Data, error) {
	d, _, err := loadIngestedHeldOut(ctx, store, manifestSHA)
	return d, err
}

func resolveDataset(ctx context.Context, spec *experiments.Spec, resolve DatasetResolver) (string, error) {
	if resolve == nil {
		return "", fmt.Errorf("dataset %s: no dataset registry to look it up in", spec.Dataset.ID)
	}
	return resolve(ctx, spec.Dataset.ID)
}
