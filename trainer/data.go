package trainer

import (
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// DatasetResolver finds the manifest of a dataset ingested under a name.
type DatasetResolver func(ctx context.Context, name string) (manifestSHA string, err error)

// LocalDatasets resolves names in the single-machine registry kept in the store.
func LocalDatasets(store storage.Store) DatasetResolver {
	reg := ingest.NewLocalRegistry(store)
	return func(ctx context.Context, name string) (string, error) {
		rec, _, err := reg.Get(ctx, name)
		if err != nil {
			return "", err
		}
		return rec.ManifestSHA, nil
	}
}

// ClusterDatasets resolves names through the coordinator, where a dataset exists once
// its record is committed.
func ClusterDatasets(api *client.Client) DatasetResolver {
	return func(ctx context.Context, name string) (string, error) {
		d, err := api.Dataset(ctx, name)
		if err != nil {
			return "", fmt.Errorf("dataset %s: %w", name, err)
		}
		return d.ManifestHash, nil
	}
}

// LoadData prepares the spec's dataset for one rank: a CSV file read whole, or an
// ingested dataset streamed from its shards.
func LoadData(ctx context.Context, spec *experiments.Spec, store storage.Store, resolve DatasetResolver, rank, world int) (*loop.Data, error) {
	if spec.Dataset.ID == "" {
		return loop.LoadTabular(spec.Dataset, spec.Training.Seed)
	}
	if resolve == nil {
		return nil, fmt.Errorf("dataset %s: no dataset registry to look it up in", spec.Dataset.ID)
	}
	sha, err := resolve(ctx, spec.Dataset.ID)
	if err != nil {
		return nil, err
	}
	return loop.LoadIngested(ctx, store, sha, spec.Training.Seed, spec.Training.BatchSize, rank, world)
}

// clusterRegistrar commits an ingested dataset's record through the coordinator.
type clusterRegistrar struct{ api *client.Client }

// ClusterRegistrar registers ingested datasets with the coordinator: the dataset exists
// once the record naming its manifest and shards is committed through Raft.
func ClusterRegistrar(api *client.Client) ingest.Registrar { return clusterRegistrar{api} }

func (r clusterRegistrar) Register(ctx context.Context, name, manifestSHA string, m *shards.Manifest) error {
	blobs := []string{manifestSHA}
	for _, part := range []string{shards.PartTrain, shards.PartValidation, shards.PartTest} {
		p, err := m.Split.Part(part)
		if err != nil {
			return err
		}
		for _, s := range p.Shards {
			blobs = append(blobs, s.SHA256)
		}
	}
	_, err := r.api.RegisterDataset(ctx, structs.DatasetRegisterArgs{Name: name, ManifestHash: manifestSHA, BlobHashes: blobs})
	return err
}
