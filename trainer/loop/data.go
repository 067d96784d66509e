package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"bytes"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
)

// Split is one part of a dataset, ready for the step loop.
type Split struct {
	Raw []float32 // the measurements as read, row-major (what a trust feeds the ONNX model)
	X   []float32 // standardised with the training split's statistics
	Y   []int32   // class indices
	N   int
	// Subgroups holds, per subgroup attribute kept for evaluation (an ingested
	// dataset's sex, ethnicity, site…), each record's value.
	Subgroups map[string][]string
}

// Data is a dataset split and standardised for training.
type Data struct {
	Features   []string
	Classes    []string
	InputShape []int
	Train      Split
	Validation Split
	Test       Split
	Preprocess models.Preprocess
	Hash       string // SHA-256 of the source file, or of an ingested dataset's manifest
	// Source, when set, streams the training split for this rank (an ingested
	// dataset's shards); otherwise Train is shuffled in memory.
	Source BatchSource
	// shard, when set, opens Source again for another rank and world size, so one
	// process can hold every rank of an attempt (replay).
	shard func(ctx context.Context, rank, world int) (BatchSource, error)
}

// forRank is the data as rank r of a world of world ranks sees it. An in-memory
// split is shared (each attempt strides it by its own rank); a streamed one gets a
// source of its own for that rank.
func (d *Data) forRank(ctx context.Context, rank, world int) (*Data, error) {
	if d.Source == nil {
		return d, nil
	}
	if d.shard == nil {
		if world == 1 {
			return d, nil
		}
		return nil, fmt.Errorf("dataset %.12s: its training source cannot be opened for rank %d of %d", d.Hash, rank, world)
	}
	src, err := d.shard(ctx, rank, world)
	if err != nil {
		return nil, fmt.Errorf("dataset %.12s: open rank %d of %d: %w", d.Hash, rank, world, err)
	}
	c := *d
	c.Source = src
	return &c, nil
}

// LoadTabular reads a labelled CSV, splits it 70/15/15 (or as the spec says),
// stratified and deterministic from the seed, and standardises every split with
// statistics fitted on the training split only.
func LoadTabular(spec experiments.DatasetSpec, seed uint64) (*Data, error) {
	raw, err := os.ReadFile(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	sum := sha256.Sum256(raw)
	table, err := datasets.ReadTabularCSV(bytes.NewReader(raw), spec.Path, datasets.TabularOptions{
		Label: spec.Label, Classes: spec.Classes, Features: spec.Features, Exclude: spec.Exclude,
	})
	if err != nil {
		return nil, err
	}
	split, err := datasets.StratifiedSplit(table.Y, len(table.Classes), spec.Split.Train, spec.Split.Validation, spec.Split.Test, seed)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", spec.Path, err)
	}
	f := len(table.Features)
	mean, std := datasets.FitStandardizer(table.X, f, split.Train)
	d := &Data{
		Features: table.Features, Classes: table.Classes, InputShape: []int{f},
		Preprocess: models.Preprocess{Mean: mean, Std: std}, Hash: hex.EncodeToString(sum[:]),
	}
	for _, part := range []struct {
		rows []int
		into *Split
	}{{split.Train, &d.Train}, {split.Validation, &d.Validation}, {split.Test, &d.Test}} {
		s := Split{N: len(part.rows), Raw: make([]float32, 0, len(part.rows)*f), Y: make([]int32, 0, len(part.rows))}
		for _, r := range part.rows {
			s.Raw = append(s.Raw, table.X[r*f:(r+1)*f]...)
			s.Y = append(s.Y, table.Y[r])
		}
		s.X = append([]float32(nil), s.Raw...)
		datasets.Standardize(s.X, f, mean, std)
		*part.into = s
	}
	return d, nil
}
