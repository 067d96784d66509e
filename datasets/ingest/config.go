package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/storage"
)

// Registrar commits a dataset: after Register returns nil the dataset
// exists. The coordinator's client implements it for the cluster;
// LocalRegistry for one machine.
type Registrar interface {
	// Registered is the manifest SHA-256 registered under name, "" when the name is
	// free. Ingest asks before it uploads anything: an unreachable registry stops it
	// there.
	Registered(ctx context.Context, name string) (string, error)
	Register(ctx context.Context, name, manifestSHA string, m *shards.Manifest) error
}

// Default split fractions (train, validation, test).
var DefaultFractions = [3]float64{0.7, 0.15, 0.15}

// Config is one ingest.
type Config struct {
	// Spec is the parsed ingest spec; when nil, SpecPath is loaded.
	Spec     *deid.IngestSpec
	SpecPath string
	// InputPath overrides the spec's input.path. A relative spec path is
	// taken relative to the spec file's directory. For IDX input it is a
	// directory holding MNIST's train-images-idx3-ubyte, train-labels-idx1-ubyte
	// and optionally t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each
	// optionally .gz); for NPZ a MedMNIST archive.
	InputPath string
	// KeyPath overrides the spec's key_file (the pseudonymisation key).
	KeyPath string
	Store   storage.Store
	// Registrar commits the manifest (required).
	Registrar Registrar
	// Seed decides the split.
	Seed uint64
	// ShardBytes is the target shard size (0: shards.DefaultShardBytes).
	ShardBytes int64
	// K overrides the spec's k (0: the spec's); never below gate.MinK.
	K int
	// Fractions of train, validation, test (zero: DefaultFractions). For
	// NPZ input the archive's own split is kept; for IDX with t10k files
	// t10k is the test split and train is divided by the train and
	// validation fractions alone.
	Fractions [3]float64
	// Created stamps the manifest (zero: now, UTC, to the second).
	Created time.Time
	// MaxArrayBytes bounds each decoded image array (0: readers.DefaultMaxBytes).
	MaxArrayBytes int64
	// DICOMRaw reads DICOM input without de-identification, to show what the
	// gate says of the raw files (it refuses them, naming the attributes). A
	// raw read is never sharded: should it pass the gate, the ingest still fails.
	DICOMRaw bool
	Logger   *slog.Logger

	specDir string // the spec file's directory, for the paths in it
}

// Result is what an ingest produced.
type Result struct {
	Manifest    *shards.Manifest
	ManifestSHA string
	Report      *gate.Report
}

// resolve fills defaults and loads the spec; it returns the input path.
func (c *Config) resolve() (string, error) {
	if c.Store == nil {
		return "", fmt.Errorf("ingest: %w: no store", ErrConfig)
	}
	if c.Registrar == nil {
		return "", fmt.Errorf("ingest: %w: no registrar", ErrConfig)
	}
	specDir := ""
	if c.Spec == nil {
		if c.SpecPath == "" {
			return "", fmt.Errorf("ingest: %w: neither a spec nor a spec path", ErrConfig)
		}
		s, err := deid.LoadIngestSpec(c.SpecPath)
		if err != nil {
			return "", fmt.Errorf("ingest: %w", err)
		}
		c.Spec = s
		specDir = filepath.Dir(c.SpecPath)
	}
	c.specDir = specDir
	if c.DICOMRaw && c.Spec.Input.Format != deid.FormatDICOM {
		return "", fmt.Errorf("ingest: %w: a raw read applies to dicom input only, not %s", ErrConfig, c.Spec.Input.Format)
	}
	if c.K == 0 {
		c.K = c.Spec.K
	}
	if c.K < gate.MinK {
		return "", fmt.Errorf("ingest: %w: k=%d is below the minimum %d", ErrConfig, c.K, gate.MinK)
	}
	if c.Fractions == [3]float64{} {
		c.Fractions = DefaultFractions
	}
	if c.ShardBytes < 0 {
		return "", fmt.Errorf("ingest: %w: shard size %d", ErrConfig, c.ShardBytes)
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC().Truncate(time.Second)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	path := c.InputPath
	if path == "" {
		path = c.Spec.Input.Path
		if specDir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(specDir, path)
		}
	}
	if path == "" {
		return "", fmt.Errorf("ingest: %w: no input path", ErrConfig)
	}
	return path, nil
}
