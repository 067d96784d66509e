package benchdata

import (
	"time"

	"github.com/dxtrain/dxtrain/models"
)

// StepRate trains m on the batches in turn, the optimizer updating its parameters at lr
// in each step as the trainer does for a model trained alone (models.TrainStep), and
// returns samples per second over about d, after warmup untimed steps. The step benchmarks of bench/throughput and bench/realdata share it,
// so "a step" means the same work in both.
func StepRate(m models.Model, opt *models.Optimizer, lr float64, batches []models.Batch, warmup int, d time.Duration) (float64, error) {
	i := 0
	step := func() error {
		if _, err := models.TrainStep(m, batches[i%len(batches)], opt, lr); err != nil {
			return err
		}
		i++
		return nil
	}
	for range warmup {
		if err := step(); err != nil {
			return 0, err
		}
	}
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if err := step(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n*len(batches[0].Labels)) / time.Since(start).Seconds(), nil
}
