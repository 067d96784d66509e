package main

import (
	"github.com/dxtrain/dxtrain/bench/benchdata"

	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// batch is the mini-batch size of every run.
const batch = 128

// benchSpec is an MLP 784-hidden…-10 trained with Adam (so the optimizer state is
// twice the parameters, as in real runs), checkpointing every everySteps (0: never).
func benchSpec(name string, hidden []int, everySteps int) *experiments.Spec {
	s := &experiments.Spec{Name: name}
	s.Dataset.Label, s.Dataset.Classes = "label", benchdata.Classes
	s.Model.Architecture, s.Model.Hidden = "mlp", hidden
	s.Training.Epochs, s.Training.BatchSize, s.Training.Seed = 1000, batch, 1
	s.Training.Optimizer.Name, s.Training.Optimizer.LearningRate = "adam", 0.001
	s.Training.Optimizer.Beta1, s.Training.Optimizer.Beta2, s.Training.Optimizer.Epsilon = 0.9, 0.999, 1e-8
	s.Training.Schedule.Name = "constant"
	s.Checkpoint.EverySteps, s.Checkpoint.KeepLast = everySteps, 3
	return s
}

// stepRun is one timed training run.
type stepRun struct {
	label       string
	meanStep    time.Duration // mean wall time between step reports, first steps excluded
	checkpoints int
}

// timeSteps trains steps steps with a checkpoint every everySteps (0: none) into
// store, and returns the mean interval between consecutive step reports from step
// warmup on (the last step, whose checkpoint is flushed at the end, is excluded).
func timeSteps(ctx context.Context, label string, data *loop.Data, hidden []int, steps, everySteps, warmup int, store storage.Store) (stepRun, error) {
	var at []time.Time
	cfg := loop.Config{Spec: benchSpec("bench-"+label, hidden, everySteps), Data: data, StopAfterStep: int64(steps),
		NoCheckpoints: everySteps == 0, CodeVersion: "bench",
		Progress: func(p loop.Progress) {
			if p.Validation == nil {
				at = append(at, time.Now())
			}
		}}
	if store != nil {
		cfg.Store, cfg.Ledger = store, checkpoint.StoreLedger{Store: store}
	}
	res, err := loop.Run(ctx, cfg)
	if err != nil {
		return stepRun{}, fmt.Errorf("%s run: %w", label, err)
	}
	if len(at) < warmup+2 {
		return stepRun{}, fmt.Errorf("%s run: %d step reports, need more than %d", label, len(at), warmup+1)
	}
	span := at[len(at)-1].Sub(at[warmup])
	return stepRun{label: label, meanStep: span / time.Duration(len(at)-1-warmup), checkpoints: len(res.Checkpoints)}, nil
}

// overhead measures the mean step time without checkpoints, then with a checkpoint
// about every interval to each store, then without again (bracketing, so drift on a
// shared machine shows), in one process.
func overhead(ctx context.Context, data *loop.Data, hidden []int, interval time.Duration, perRun int, stores []namedStore) ([]stepRun, int, error) {
	cal, err := timeSteps(ctx, "calibrate", data, hidden, 12, 0, 2, nil)
	if err != nil {
		return nil, 0, err
	}
	every := max(1, int((interval+cal.meanStep/2)/cal.meanStep))
	steps := every*perRun + every/2 // perRun checkpoints inside the timed window
	runs := []stepRun{}
	plan := []namedStore{{name: "none"}}
	plan = append(plan, stores...)
	plan = append(plan, namedStore{name: "none (again)"})
	for _, ns := range plan {
		e := every
		if ns.store == nil {
			e = 0
		}
		r, err := timeSteps(ctx, ns.name, data, hidden, steps, e, 3, ns.store)
		if err != nil {
			return nil, 0, err
		}
		runs = append(runs, r)
	}
	return runs, every, nil
}

// baseline is the mean of the runs without checkpoints.
func baseline(runs []stepRun) time.Duration {
	var sum time.Duration
	n := 0
	for _, r := range runs {
		if r.checkpoints == 0 {
			sum += r.meanStep
			n++
		}
	}
	return sum / time.Duration(max(n, 1))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
