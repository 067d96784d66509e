package loop

import (
	"context"
	"errors"
	"fmt"

	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
)

// LoadIngested prepares a dataset ingested into the cluster: the training split streams
// from its shards through the loader (this rank's part of every step, fetched, verified
// and decoded in the background), the validation and test splits are read whole for
// evaluation, and everything is standardised with the manifest's training statistics.
func LoadIngested(ctx context.Context, store storage.Store, manifestSHA string, seed uint64, batch, rank, world int) (*Data, error) {
	d, m, err := loadIngestedHeldOut(ctx, store, manifestSHA)
	if err != nil {
		return nil, err
	}
	pre, width := &d.Preprocess, m.Schema.FeatureLen()
	d.shard = func(ctx context.Context, rank, world int) (BatchSource, error) {
		l, err := shards.NewLoader(ctx, store, m, "train", shards.LoaderConfig{Rank: rank, World: world, Seed: seed, BatchSize: batch})
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", m.Name, err)
		}
		return &loaderSource{loader: l, pre: pre, width: width, rows: (batch + world - 1) / world}, nil
	}
	src, err := d.shard(ctx, rank, world)
	if err != nil {
		return nil, err
	}
	d.Source, d.Train.N = src, int(src.(*loaderSource).loader.Records())
	return d, nil
}

// loadIngestedHeldOut reads the manifest, its training statistics and the validation
// and test splits whole; Train holds the training split's size only.
func loadIngestedHeldOut(ctx context.Context, store storage.Store, manifestSHA string) (*Data, *shards.Manifest, error) {
	m, err := shards.LoadManifest(ctx, store, manifestSHA)
	if err != nil {
		return nil, nil, err
	}
	d := &Data{Features: m.Schema.Features, Classes: m.Schema.Classes, InputShape: m.Schema.FeatureShape, Hash: manifestSHA}
	width := m.Schema.FeatureLen()
	if m.Stats.Axis == shards.AxisFeature && len(m.Stats.Mean) == width {
		for i := range m.Stats.Mean {
			d.Preprocess.Mean = append(d.Preprocess.Mean, float32(m.Stats.Mean[i]))
			d.Preprocess.Std = append(d.Preprocess.Std, float32(m.Stats.Std[i]))
		}
	}
	for _, part := range []struct {
		name string
		into *Split
	}{{"validation", &d.Validation}, {"test", &d.Test}} {
		s, err := readSplit(ctx, store, m, part.name, &d.Preprocess)
		if err != nil {
			return nil, nil, fmt.Errorf("dataset %s: %w", m.Name, err)
		}
		*part.into = s
	}
	train, err := m.Split.Part(shards.PartTrain)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset %s: %w", m.Name, err)
	}
	d.Train.N = int(train.Records)
	return d, m, nil
}

// readSplit reads a whole split in its stored order.
func readSplit(ctx context.Context, store storage.Store, m *shards.Manifest, name string, pre *models.Preprocess) (Split, error) {
	l, err := shards.NewLoader(ctx, store, m, name, shards.LoaderConfig{World: 1, BatchSize: 4096, Sequential: true, CacheBytes: -1})
	if err != nil {
		return Split{}, err
	}
	it, err := l.Epoch(0)
	if err != nil {
		return Split{}, err
	}
	defer it.Close()
	var s Split
	if part, err := m.Split.Part(name); err == nil { // sized once: appending doubled 30 MB splits
		s.Raw, s.Y = make([]float32, 0, part.Records*int64(m.Schema.FeatureLen())), make([]int32, 0, part.Records)
	}
	for {
		b, ok, err := it.Next()
		if err != nil {
			return Split{}, fmt.Errorf("%s split: %w", name, err)
		}
		if !ok {
			break
		}
		s.Raw = append(s.Raw, b.X...)
		s.Y = append(s.Y, b.Y...)
		s.N += b.N
		for i, g := range m.Subgroups {
			if s.Subgroups == nil {
				s.Subgroups = make(map[string][]string, len(m.Subgroups))
			}
			for _, code := range b.Subgroups[i] {
				value := "unknown"
				if int(code) >= 0 && int(code) < len(g.Codes) {
					value = g.Codes[code]
				}
				s.Subgroups[g.Name] = append(s.Subgroups[g.Name], value)
			}
		}
	}
	if s.N == 0 {
		return Split{}, errors.New(name + " split is empty")
	}
	s.X = append([]float32(nil), s.Raw...)
	pre.Apply(s.X)
	return s, nil
}

// loaderSource streams the training split from shards.
type loaderSource struct {
	loader *shards.Loader
	pre    *models.Preprocess
	width  int
	rows   int // this rank's rows of a step: ⌈batch / world⌉, as the step loop's batch holds
}

func (s *loaderSource) StepsPerEpoch() int { return s.loader.StepsPerEpoch() }

func (s *loaderSource) Epoch(e, k int) (EpochBatches, error) {
	it, err := s.loader.EpochFrom(e, k)
	if err != nil {
		return nil, err
	}
	return startPrefetch(it, s.pre, s.width, s.rows), nil
}
