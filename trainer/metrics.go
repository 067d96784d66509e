package trainer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dxtrain/dxtrain/trainer/loop"
)

// TrainingMetrics are the agent's training gauges, labelled by experiment and rank.
type TrainingMetrics struct {
	step          *prometheus.GaugeVec
	stepSeconds   *prometheus.GaugeVec
	loss          *prometheus.GaugeVec
	samplesPerSec *prometheus.GaugeVec
	allReduce     *prometheus.CounterVec
}

// NewTrainingMetrics registers the gauges with reg.
func NewTrainingMetrics(reg prometheus.Registerer) (*TrainingMetrics, error) {
	labels := []string{"experiment", "rank"}
	m := &TrainingMetrics{
		step:          prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dxtrain_training_step", Help: "Optimizer steps taken by the attempt."}, labels),
		stepSeconds:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dxtrain_training_step_seconds", Help: "Wall time per step, averaged since the last observation."}, labels),
		loss:          prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dxtrain_training_loss", Help: "Loss of the last step."}, labels),
		samplesPerSec: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dxtrain_training_samples_per_second", Help: "Training throughput of the attempt, all ranks."}, labels),
		allReduce:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dxtrain_allreduce_bytes_total", Help: "Gradient bytes all-reduced by this rank."}, labels),
	}
	for _, c := range []prometheus.Collector{m.step, m.stepSeconds, m.loss, m.samplesPerSec, m.allReduce} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observer returns a progress callback for one rank; gradBytes is the size of the
// vector all-reduced each step (0 in a one-rank world).
func (m *TrainingMetrics) observer(experiment, rank string, gradBytes int) func(loop.Progress) {
	if m == nil {
		return func(loop.Progress) {}
	}
	step, loss, rate := m.step.WithLabelValues(experiment, rank), m.loss.WithLabelValues(experiment, rank), m.samplesPerSec.WithLabelValues(experiment, rank)
	bytes := m.allReduce.WithLabelValues(experiment, rank)
	stepTime := m.stepSeconds.WithLabelValues(experiment, rank)
	var last int64
	lastAt := time.Now()
	return func(p loop.Progress) {
		if p.Validation != nil {
			return
		}
		step.Set(float64(p.Step))
		loss.Set(float64(p.Loss))
		rate.Set(p.SamplesPerSec)
		if p.Step > last {
			now := time.Now()
			stepTime.Set(now.Sub(lastAt).Seconds() / float64(p.Step-last))
			bytes.Add(float64(int64(gradBytes) * (p.Step - last)))
			last, lastAt = p.Step, now
		}
	}
}
