package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/storage"
)

// registryPrefix is where LocalRegistry keeps its records.
const registryPrefix = "datasets/"

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Record is a registered dataset: its name and manifest hash.
type Record struct {
	Name        string    `json:"name"`
	ManifestSHA string    `json:"manifest_sha256"`
	Registered  time.Time `json:"registered"`
}

// LocalRegistry registers datasets for single-machine use by writing
// "datasets/<name>.json" records into the store (whose Put is atomic).
// It is not safe for several processes registering the same name at once;
// the cluster registers through the coordinator instead.
type LocalRegistry struct {
	store storage.Store
	now   func() time.Time
}

// NewLocalRegistry returns a registry in s.
func NewLocalRegistry(s storage.Store) *LocalRegistry {
	return &LocalRegistry{store: s, now: func() time.Time { return time.Now().UTC().Truncate(time.Second) }}
}

// Registered is the manifest registered under name, "" when the name is free.
func (r *LocalRegistry) Registered(ctx context.Context, name string) (string, error) {
	rec, err := r.record(ctx, name)
	switch {
	case errors.Is(err, ErrNotRegistered):
		return "", nil
	case err != nil:
		return "", err
	}
	return rec.ManifestSHA, nil
}

// Register records the dataset after checking that the manifest blob is
// stored and hashes to manifestSHA and that every shard verifies. Registering
// the same name with the same manifest again is a no-op; with another
// manifest it is ErrExists.
func (r *LocalRegistry) Register(ctx context.Context, name, manifestSHA string, m *shards.Manifest) error {
	if !namePattern.MatchString(name) || name != m.Name {
		return fmt.Errorf("register %q: %w: bad name or not the manifest's name", name, ErrConfig)
	}
	stored, err := shards.LoadManifest(ctx, r.store, manifestSHA)
	if err != nil {
		return fmt.Errorf("register %s: %w", name, err)
	}
	if sha, err := stored.SHA256(); err != nil || sha != manifestSHA {
		return fmt.Errorf("register %s: %w: manifest does not hash to %s", name, ErrConfig, manifestSHA)
	}
	if err := shards.Verify(ctx, r.store, stored); err != nil {
		return fmt.Errorf("register %s: %w", name, err)
	}
	prev, err := r.record(ctx, name)
	switch {
	case err == nil && prev.ManifestSHA == manifestSHA:
		return nil
	case err == nil:
		return fmt.Errorf("register %s: %w (manifest %s)", name, ErrExists, prev.ManifestSHA)
	case !errors.Is(err, ErrNotRegistered):
		return err
	}
	b, err := json.Marshal(Record{Name: name, ManifestSHA: manifestSHA, Registered: r.now()})
	if err != nil {
		return fmt.Errorf("register %s: %w", name, err)
	}
	if err := r.store.Put(ctx, registryPrefix+name+".json", bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("register %s: %w", name, err)
	}
	return nil
}

// List returns every registered dataset, sorted by name.
func (r *LocalRegistry) List(ctx context.Context) ([]Record, error) {
	infos, err := r.store.List(ctx, registryPrefix)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	var out []Record
	for _, info := range infos {
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, registryPrefix), ".json")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		rec, err := r.record(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Get returns the named dataset's record and its verified-hash manifest.
func (r *LocalRegistry) Get(ctx context.Context, name string) (Record, *shards.Manifest, error) {
	rec, err := r.record(ctx, name)
	if err != nil {
		return Record{}, nil, err
	}
	m, err := shards.LoadManifest(ctx, r.store, rec.ManifestSHA)
	if err != nil {
		return Record{}, nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	return rec, m, nil
}

// ManifestOf is the manifest SHA-256 registered under name: how `dxtrain train` and the
// validator's tools resolve a spec's dataset without a cluster.
func (r *LocalRegistry) ManifestOf(ctx context.Context, name string) (string, error) {
	rec, _, err := r.Get(ctx, name)
	if err != nil {
		return "", err
	}
	return rec.ManifestSHA, nil
}

func (r *LocalRegistry) record(ctx context.Context, name string) (Record, error) {
	if !namePattern.MatchString(name) {
		return Record{}, fmt.Errorf("dataset %q: %w: bad name", name, ErrConfig)
	}
	rc, err := r.store.Get(ctx, registryPrefix+name+".json")
	if errors.Is(err, storage.ErrNotFound) {
		return Record{}, fmt.Errorf("dataset %s: %w", name, ErrNotRegistered)
	}
	if err != nil {
		return Record{}, fmt.Errorf("dataset %s: %w", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<16))
	if err != nil {
		return Record{}, fmt.Errorf("dataset %s: %w", name, err)
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil || rec.Name != name || storage.ValidateDigest(rec.ManifestSHA) != nil {
		return Record{}, fmt.Errorf("dataset %s: corrupt registry record", name)
	}
	return rec, nil
}
