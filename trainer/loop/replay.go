package loop

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// ReplayReport is the validator's evidence that training is reproducible: checkpoint
// From, trained on to To's step, against checkpoint To itself.
type ReplayReport struct {
	Experiment string        `json:"experiment"`
	FromStep   int64         `json:"from_step"`
	ToStep     int64         `json:"to_step"`
	FromSHA    string        `json:"from_manifest_sha256"`
	ToSHA      string        `json:"to_manifest_sha256"`
	Identical  bool          `json:"identical"`
	Tensors    int           `json:"tensors_compared"`
	Difference *Difference   `json:"first_difference,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
}

// Difference locates the first tensor (by name) whose bits differ.
type Difference struct {
	Tensor   string  `json:"tensor"`
	Index    int     `json:"index"`
	Replayed float32 `json:"replayed"`
	Recorded float32 `json:"recorded"`
}

// Replay trains from checkpoint from to the step of checkpoint to with the recorded
// seed, data order and optimizer state, writing nothing, and compares every parameter
// and optimizer tensor bit for bit with to's.
func Replay(ctx context.Context, spec *experiments.Spec, data *Data, from, to *checkpoint.Loaded) (*ReplayReport, error) {
	fm, tm := from.Manifest, to.Manifest
	if tm.Cursor.Step < fm.Cursor.Step {
		return nil, fmt.Errorf("replay %s: target step %d is before the starting step %d", spec.Name, tm.Cursor.Step, fm.Cursor.Step)
	}
	if fm.WorldSize != tm.WorldSize {
		return nil, fmt.Errorf("replay %s: checkpoints were written by %d and %d ranks; replay needs one world size", spec.Name, fm.WorldSize, tm.WorldSize)
	}
	if fm.WorldSize > 1 {
		// Summation order depends on the world size, so a bit-for-bit replay of a
		// W-rank run needs W ranks; this replays single-rank runs only.
		return nil, fmt.Errorf("replay %s: checkpoints were written by %d ranks; replaying data-parallel runs is not supported yet", spec.Name, fm.WorldSize)
	}
	start := time.Now()
	res, err := Run(ctx, Config{Spec: spec, Data: data, From: from, NoCheckpoints: true, StopAfterStep: tm.Cursor.Step})
	if err != nil {
		return nil, fmt.Errorf("replay %s from step %d: %w", spec.Name, fm.Cursor.Step, err)
	}
	if res.Steps != tm.Cursor.Step {
		return nil, fmt.Errorf("replay %s: training ended at step %d, before the target step %d", spec.Name, res.Steps, tm.Cursor.Step)
	}
	r := &ReplayReport{Experiment: spec.Name, FromStep: fm.Cursor.Step, ToStep: tm.Cursor.Step,
		FromSHA: from.ManifestSHA, ToSHA: to.ManifestSHA, Duration: time.Since(start)}
	r.Tensors, r.Difference, err = compareTensors(append(res.Params, res.Optimizer...), to)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", spec.Name, err)
	}
	r.Identical = r.Difference == nil
	return r, nil
}

func compareTensors(replayed []*models.Param, to *checkpoint.Loaded) (int, *Difference, error) {
	recorded := make(map[string][]float32, len(to.Params)+len(to.Optimizer))
	for name, v := range to.Params {
		recorded[name] = v
	}
	for name, v := range to.Optimizer {
		recorded[name] = v
	}
	if len(recorded) != len(replayed) {
		return 0, nil, fmt.Errorf("checkpoint %s holds %d tensors, the replay %d", to.ManifestSHA, len(recorded), len(replayed))
	}
	sorted := append([]*models.Param(nil), replayed...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, p := range sorted {
		want, ok := recorded[p.Name]
		if !ok || len(want) != len(p.Data) {
			return 0, nil, fmt.Errorf("checkpoint %s: tensor %s missing or of another size", to.ManifestSHA, p.Name)
		}
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(p.Data[i]) {
				return len(sorted), &Difference{Tensor: p.Name, Index: i, Replayed: p.Data[i], Recorded: want[i]}, nil
			}
		}
	}
	return len(sorted), nil, nil
}
