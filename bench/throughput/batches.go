package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// batchCount is how many distinct batches each kind of data cycles through, the same
// for every kind so that caches see the same working set.
const batchCount = 16

// randomBatches is the old micro-benchmark's data: standard-normal inputs and uniform
// random labels, which no model can learn (kept to measure what it misstated).
func randomBatches(net models.Network, batch int) []models.Batch {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]models.Batch, batchCount)
	for k := range out {
		b := newBatch(net, batch)
		for i := range b.X {
			b.X[i] = float32(rng.NormFloat64())
		}
		for i := range b.Labels {
			b.Labels[i] = int32(rng.IntN(net.Classes))
		}
		out[k] = b
	}
	return out
}

// learnableBatches draw each sample from its class: a fixed random template plus
// noise, with pixels kept in [0, 1] for image-sized inputs as the real images are, and
// standardised-looking features for tabular ones. A model learns them, so the values
// it meets (activations, gradients, optimizer state) evolve as in training.
func learnableBatches(net models.Network, batch int) []models.Batch {
	rng := rand.New(rand.NewPCG(3, 4))
	width, images := net.InputSize(), net.InputSize() >= 784
	templates := make([][]float32, net.Classes)
	for c := range templates {
		templates[c] = make([]float32, width)
		for i := range templates[c] {
			if images {
				templates[c][i] = float32(rng.Float64())
			} else {
				templates[c][i] = float32(rng.NormFloat64())
			}
		}
	}
	out := make([]models.Batch, batchCount)
	for k := range out {
		b := newBatch(net, batch)
		for r := range batch {
			c := rng.IntN(net.Classes)
			b.Labels[r] = int32(c)
			for i, t := range templates[c] {
				v := t + float32(0.3*rng.NormFloat64())
				if images {
					v = min(max(v, 0), 1)
				}
				b.X[r*width+i] = v
			}
		}
		out[k] = b
	}
	return out
}

// realBatches are the first batchCount batches of real training data as dxtrain
// trains on them: Fashion-MNIST pixels in [0, 1] for image-sized models, WDBC's
// standardised training split (cycled) for the tabular one.
func realBatches(net models.Network, batch int, fashionDir, wdbcPath string) ([]models.Batch, error) {
	var x []float32
	var y []int32
	if net.InputSize() >= 784 {
		im, err := readers.LoadIDXImages(filepath.Join(fashionDir, "train-images-idx3-ubyte.gz"), filepath.Join(fashionDir, "train-labels-idx1-ubyte.gz"), 0)
		if err != nil {
			return nil, fmt.Errorf("fashion-mnist (apt-get install dataset-fashion-mnist): %w", err)
		}
		x, y = im.X, im.Y
	} else {
		d, err := loop.LoadTabular(experiments.DatasetSpec{Path: wdbcPath, Label: "diagnosis", Classes: []string{"B", "M"},
			Split: experiments.SplitSpec{Train: 0.7, Validation: 0.15, Test: 0.15}}, 1)
		if err != nil {
			return nil, err
		}
		x, y = d.Train.X, d.Train.Y
	}
	width, n := net.InputSize(), len(y)
	out := make([]models.Batch, batchCount)
	for k := range out {
		b := newBatch(net, batch)
		for r := range batch {
			src := (k*batch + r) % n
			copy(b.X[r*width:(r+1)*width], x[src*width:(src+1)*width])
			b.Labels[r] = y[src]
		}
		out[k] = b
	}
	return out, nil
}

func newBatch(net models.Network, batch int) models.Batch {
	b := models.Batch{X: make([]float32, batch*net.InputSize()), Labels: make([]int32, batch), Weights: make([]float32, batch)}
	for i := range b.Weights {
		b.Weights[i] = 1 / float32(batch)
	}
	return b
}
