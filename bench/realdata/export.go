package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// peerMeta describes the files export writes: each split as <name>_x.f32 (raw
// features, little-endian float32, row-major) and <name>_y.i32 (class indices),
// with the per-feature statistics dxtrain standardises with (none for images).
type peerMeta struct {
	Shape   []int                `json:"shape"`
	Classes int                  `json:"classes"`
	Mean    []float32            `json:"mean"`
	Std     []float32            `json:"std"`
	Splits  map[string]int       `json:"splits"`
	Files   map[string][2]string `json:"files"`
}

// export writes the splits dxtrain trains, validates and tests on, so that the peer
// uses the same records: the split is dxtrain's, not one drawn again in Python.
func export(dir string, d *loop.Data, train loop.Split) error {
	meta := peerMeta{Shape: d.InputShape, Classes: len(d.Classes), Mean: d.Preprocess.Mean, Std: d.Preprocess.Std,
		Splits: map[string]int{}, Files: map[string][2]string{}}
	for name, s := range map[string]loop.Split{"train": train, "validation": d.Validation, "test": d.Test} {
		xf, yf := filepath.Join(dir, name+"_x.f32"), filepath.Join(dir, name+"_y.i32")
		x := make([]byte, 4*len(s.Raw))
		for i, v := range s.Raw {
			binary.LittleEndian.PutUint32(x[4*i:], math.Float32bits(v))
		}
		y := make([]byte, 4*len(s.Y))
		for i, v := range s.Y {
			binary.LittleEndian.PutUint32(y[4*i:], uint32(v))
		}
		if err := os.WriteFile(xf, x, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(yf, y, 0o600); err != nil {
			return err
		}
		meta.Splits[name], meta.Files[name] = s.N, [2]string{xf, yf}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), b, 0o600); err != nil {
		return fmt.Errorf("export for the peer: %w", err)
	}
	return nil
}

// ingestedTrain reads the training split of an ingested dataset whole, in its stored
// order: what the loader streams in shuffled batches, for the peer to hold in memory.
func ingestedTrain(ctx context.Context, store storage.Store, manifestSHA string) (loop.Split, error) {
	m, err := shards.LoadManifest(ctx, store, manifestSHA)
	if err != nil {
		return loop.Split{}, err
	}
	l, err := shards.NewLoader(ctx, store, m, "train", shards.LoaderConfig{World: 1, BatchSize: 4096, Sequential: true, CacheBytes: -1})
	if err != nil {
		return loop.Split{}, err
	}
	it, err := l.Epoch(0)
	if err != nil {
		return loop.Split{}, err
	}
	defer it.Close()
	var s loop.Split
	for {
		b, ok, err := it.Next()
		if err != nil {
			return loop.Split{}, err
		}
		if !ok {
			return s, nil
		}
		s.Raw, s.Y, s.N = append(s.Raw, b.X...), append(s.Y, b.Y...), s.N+b.N
	}
}
