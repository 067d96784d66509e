package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
)

// workload is one end-to-end comparison: a dataset, a model and how long to train.
type workload struct {
	Name    string
	Dataset string // "fashion-mnist" (ingested shards) or "wdbc" (the CSV)
	Model   string // "cnn" or "mlp"
	Epochs  int
	// Target is the validation accuracy whose wall time is reported.
	Target float64
}

var workloads = []workload{
	{Name: "fashion-cnn", Dataset: "fashion-mnist", Model: "cnn", Epochs: 3, Target: 0.85},
	{Name: "fashion-mlp", Dataset: "fashion-mnist", Model: "mlp", Epochs: 3, Target: 0.85},
	{Name: "wdbc-mlp", Dataset: "wdbc", Model: "mlp", Epochs: 30, Target: 0.95},
}

const (
	batchSize    = 128
	learningRate = 1e-3
	seed         = 1
)

var fashionClasses = []string{"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"}

// ingestFashion ingests Debian's Fashion-MNIST files (dir holds the four IDX files)
// into store, as `dxtrain datasets ingest --local` does: t10k is the test split and
// the 60,000 training images are split 0.70:0.15 into training and validation.
func ingestFashion(ctx context.Context, store storage.Store, dir string) error {
	spec, err := deid.ParseIngestSpec([]byte(fmt.Sprintf("name: fashion-mnist\ninput: {path: %q, format: idx}\nlabel: {classes: [%s]}\nk: 10\n",
		dir, joinQuoted(fashionClasses))))
	if err != nil {
		return err
	}
	_, err = ingest.Ingest(ctx, ingest.Config{Spec: spec, InputPath: dir, Store: store, Registrar: ingest.NewLocalRegistry(store),
		Seed: 42, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return fmt.Errorf("ingest fashion-mnist from %s: %w", dir, err)
	}
	return nil
}

// spec is the experiment a researcher would write for the workload: Adam 1e-3,
// batch 128, validation every epoch and a checkpoint at the end of each (the peer
// saves its state each epoch too).
func (w workload) spec(wdbcPath string, stepsPerEpoch int) ([]byte, *experiments.Spec, error) {
	dataset := fmt.Sprintf("{id: fashion-mnist, label: label, classes: [%s]}", joinQuoted(fashionClasses))
	model := "{architecture: cnn, hidden: [128], input_shape: [1, 28, 28]}"
	if w.Model == "mlp" {
		model = "{architecture: mlp, hidden: [256, 128]}"
	}
	if w.Dataset == "wdbc" {
		abs, err := filepath.Abs(wdbcPath)
		if err != nil {
			return nil, nil, err
		}
		dataset = fmt.Sprintf("{path: %q, format: csv, label: diagnosis, classes: [B, M]}", abs)
	}
	src := fmt.Sprintf(`name: bench-%s
dataset: %s
model: %s
training:
  epochs: %d
  batch_size: %d
  optimizer: {name: adam, learning_rate: %g}
  seed: %d
checkpoint: {every_steps: %d, keep_last: 2}
export: {onnx: false}
`, w.Name, dataset, model, w.Epochs, batchSize, learningRate, seed, stepsPerEpoch)
	s, err := experiments.Parse([]byte(src), w.Name+".yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("workload %s: %w", w.Name, err)
	}
	return []byte(src), s, nil
}

func joinQuoted(v []string) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", x)
	}
	return s
}
