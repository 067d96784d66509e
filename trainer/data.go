package trainer

import (
	"context"
	"errors"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/datasets/shards"
)

// clusterRegistrar commits an ingested dataset's record through the coordinator.
type clusterRegistrar struct{ api *client.Client }

// ClusterRegistrar registers ingested datasets with the coordinator: the dataset exists
// once the record naming its manifest and shards is committed through Raft.
func ClusterRegistrar(api *client.Client) ingest.Registrar { return clusterRegistrar{api} }

// Registered asks the coordinator for the dataset registered under name.
func (r clusterRegistrar) Registered(ctx context.Context, name string) (string, error) {
	sha, err := r.api.DatasetManifest(ctx, name)
	if errors.Is(err, structs.ErrNotFound) {
		return "", nil
	}
	return sha, err
}

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
