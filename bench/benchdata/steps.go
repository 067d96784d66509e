package benchdata

import (
	"time"

	"github.com/dxtrain/dxtrain/models"
)

// StepRate trains m on the batches in turn, the optimizer updating its parameters at
// lr after each step, and returns samples per second over about d, after warmup
// untimed steps. The step benchmarks of bench/throughput and bench/realdata share it,
// so "a step" means the same work in both.
func StepRate(m models.Model, opt *models.Optimizer, lr float64, batches []models.Batch, warmup int, d time.Duration) (float64, error) {
	params := m.Params()
	i := 0
	step := func() error {
		if _, err := m.Step(batches[i%len(batches)]); err != nil {
			return err
		}
		i++
		opt.Step(params, lr)
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
