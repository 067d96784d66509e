package shards

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/storage"
)

// Stage lays an ingested dataset out on the local disk for a torch run's ranks (an
// agent's, or a validator's replay), as python/PROTOCOL.md describes: dir/manifest.json (the manifest's canonical bytes)
// and dir/shards/<sha256>.safetensors for every shard of every split, each fetched
// with its hash checked. The ranks read it with numpy; nothing leaves the node.
func Stage(ctx context.Context, store storage.Store, manifestSHA, dir string) error {
	m, err := LoadManifest(ctx, store, manifestSHA)
	if err != nil {
		return fmt.Errorf("stage dataset %s: %w", manifestSHA, err)
	}
	canon, err := m.Canonical()
	if err != nil {
		return fmt.Errorf("stage dataset %s: %w", manifestSHA, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "shards"), 0o700); err != nil {
		return fmt.Errorf("stage dataset %s: %w", manifestSHA, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), canon, 0o600); err != nil {
		return fmt.Errorf("stage dataset %s: %w", manifestSHA, err)
	}
	for _, name := range PartNames {
		part, err := m.Split.Part(name)
		if err != nil {
			return err
		}
		for i, ref := range part.Shards {
			data, err := storage.GetBlob(ctx, store, ref.SHA256)
			if err != nil {
				return fmt.Errorf("stage dataset %s: %s shard %d (%s): %w", m.Name, name, i, ref.SHA256, err)
			}
			p := filepath.Join(dir, "shards", ref.SHA256+".safetensors")
			if err := os.WriteFile(p, data, 0o600); err != nil {
				return fmt.Errorf("stage dataset %s: %w", m.Name, err)
			}
		}
	}
	return nil
}
