package trainer

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dxtrain/dxtrain/trainer/loop"
)

func TestTrainingMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewTrainingMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	observe := m.observer("exp-1", "0", 400)
	observe(loop.Progress{Step: 3, Loss: 0.5, SamplesPerSec: 1000})
	observe(loop.Progress{Step: 5, Loss: 0.25, SamplesPerSec: 2000})
	observe(loop.Progress{Step: 5, Validation: &loop.Scores{}}) // validation passes change nothing
	want := `
# HELP dxtrain_allreduce_bytes_total Gradient bytes all-reduced by this rank.
# TYPE dxtrain_allreduce_bytes_total counter
dxtrain_allreduce_bytes_total{experiment="exp-1",rank="0"} 2000
# HELP dxtrain_training_loss Loss of the last step.
# TYPE dxtrain_training_loss gauge
dxtrain_training_loss{experiment="exp-1",rank="0"} 0.25
# HELP dxtrain_training_step Optimizer steps taken by the attempt.
# TYPE dxtrain_training_step gauge
dxtrain_training_step{experiment="exp-1",rank="0"} 5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dxtrain_allreduce_bytes_total", "dxtrain_training_loss", "dxtrain_training_step"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "dxtrain_training_step_seconds"); n != 1 {
		t.Fatalf("step time gauge: %d series", n)
	}
}
