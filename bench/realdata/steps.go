package main

import (
	"time"

	"github.com/dxtrain/dxtrain/bench/benchdata"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// realBatches cuts up to count full batches from the split in its order, standardised
// as the loop standardises them, each row weighted one over the batch.
func realBatches(s loop.Split, pre models.Preprocess, width, batch, count int) []models.Batch {
	var out []models.Batch
	for lo := 0; lo+batch <= s.N && len(out) < count; lo += batch {
		b := models.Batch{X: append([]float32(nil), s.Raw[lo*width:(lo+batch)*width]...), Labels: append([]int32(nil), s.Y[lo:lo+batch]...),
			Weights: make([]float32, batch)}
		pre.Apply(b.X)
		for i := range b.Weights {
			b.Weights[i] = 1 / float32(batch)
		}
		out = append(out, b)
	}
	return out
}

// timeSteps trains on the batches in turn with Adam (1e-3) for about d after five
// warm-up steps and returns samples per second.
func timeSteps(net models.Network, batches []models.Batch, batch int, d time.Duration) (float64, error) {
	params := models.InitParams(net, seed)
	m, err := models.New(net, params, batch)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		return 0, err
	}
	return benchdata.StepRate(m, opt, learningRate, batches, 5, d)
}
