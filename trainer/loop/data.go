package loop

import (
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
