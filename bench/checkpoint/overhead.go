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
	meanStep    time.Duration // mean wall time between step reports in the timed window
	checkpoints int           // checkpoints taken inside the timed window
	ratio       float64       // meanStep against the bracketing runs without checkpoints
	cpuStep     time.Duration // CPU time per step in the window (cpuClock)
	cpuRatio    float64       // cpuStep against the bracketing runs without checkpoints
}

// timeSteps trains warmup + window + 1 steps with a checkpoint every everySteps (0:
// none) into store, and returns the mean interval between the step reports of the
// window: steps warmup+1 … warmup+window, each interval including the checkpoint taken
// after the step that opens it. The last step, whose checkpoint is flushed at the end,
// is outside the window.
func timeSteps(ctx context.Context, clock cpuClock, label string, data *loop.Data, hidden []int, warmup, window, everySteps int, store storage.Store) (stepRun, error) {
	var at []time.Time
	var cpu0, cpu1 time.Duration
	steps := warmup + window + 1
	cfg := loop.Config{Spec: benchSpec("bench-"+label, hidden, everySteps), Data: data, StopAfterStep: int64(steps),
		NoCheckpoints: everySteps == 0, CodeVersion: "bench",
		Progress: func(p loop.Progress) {
			if p.Validation == nil {
				at = append(at, time.Now())
				switch len(at) {
				case warmup + 1:
					cpu0 = clock.now()
				case steps:
					cpu1 = clock.now()
				}
			}
		}}
	if store != nil {
		cfg.Store, cfg.Ledger = store, checkpoint.StoreLedger{Store: store}
	}
	if _, err := loop.Run(ctx, cfg); err != nil {
		return stepRun{}, fmt.Errorf("%s run: %w", label, err)
	}
	if len(at) != steps {
		return stepRun{}, fmt.Errorf("%s run: %d step reports, want %d", label, len(at), steps)
	}
	r := stepRun{label: label, meanStep: at[steps-1].Sub(at[warmup]) / time.Duration(window), cpuStep: (cpu1 - cpu0) / time.Duration(window)}
	if everySteps > 0 {
		for s := warmup + 1; s <= warmup+window; s++ {
			if s%everySteps == 0 {
				r.checkpoints++
			}
		}
	}
	return r, nil
}

// overhead measures the mean step time without checkpoints and with a checkpoint about
// every interval to each store, in one process. Each timed window is a whole number of
// checkpoint periods, starting half a period in (so every checkpoint's background
// upload falls inside it, and the checkpoint density is exactly one per period). The
// runs are interleaved in rounds — none, each store, none, each store, …, none — so
// that the load of a shared machine, which drifts over tens of seconds, hits every
// configuration alike; each run with checkpoints is compared with the mean of the runs
// without checkpoints just before and after it.
func overhead(ctx context.Context, clock cpuClock, data *loop.Data, hidden []int, interval time.Duration, perRun, rounds int, stores []namedStore) ([]stepRun, int, error) {
	cal, err := timeSteps(ctx, clock, "calibrate", data, hidden, 2, 10, 0, nil)
	if err != nil {
		return nil, 0, err
	}
	every := max(2, int((interval+cal.meanStep/2)/cal.meanStep))
	warmup, window := every/2, every*perRun
	var runs []stepRun
	lastNone := -1
	for round := 0; round <= max(rounds, 1); round++ {
		plan := []namedStore{{name: "none"}}
		if round < max(rounds, 1) {
			plan = append(plan, stores...)
		}
		for _, ns := range plan {
			e := every
			if ns.store == nil {
				e = 0
			}
			r, err := timeSteps(ctx, clock, ns.name, data, hidden, warmup, window, e, ns.store)
			if err != nil {
				return nil, 0, err
			}
			runs = append(runs, r)
		}
		if lastNone >= 0 { // the store runs between two baseline runs
			before, after := runs[lastNone], runs[len(runs)-len(plan)]
			ref, cpuRef := (before.meanStep+after.meanStep)/2, (before.cpuStep+after.cpuStep)/2
			for i := lastNone + 1; i < len(runs)-len(plan); i++ {
				runs[i].ratio = float64(runs[i].meanStep)/float64(ref) - 1
				runs[i].cpuRatio = float64(runs[i].cpuStep)/float64(cpuRef) - 1
			}
		}
		lastNone = len(runs) - len(plan)
	}
	return runs, every, nil
}

// summary is one store's runs combined: the mean step time over its runs against the
// mean of every baseline run, and the median of its bracketed per-run ratios, which
// a burst of load from other processes during one run cannot move much.
type summary struct {
	label       string
	runs        int
	checkpoints int
	meanStep    time.Duration
	medianRatio float64
	cpuStep     time.Duration // mean CPU per step
	medianCPU   float64       // median of the runs' cpuRatio
}

// summarize combines the runs of each label, in order of first appearance.
func summarize(runs []stepRun) []summary {
	var out []summary
	index := map[string]int{}
	ratios, cpuRatios := map[string][]float64{}, map[string][]float64{}
	for _, r := range runs {
		i, ok := index[r.label]
		if !ok {
			i = len(out)
			index[r.label] = i
			out = append(out, summary{label: r.label})
		}
		out[i].runs++
		out[i].checkpoints += r.checkpoints
		out[i].meanStep += r.meanStep
		out[i].cpuStep += r.cpuStep
		ratios[r.label] = append(ratios[r.label], r.ratio)
		cpuRatios[r.label] = append(cpuRatios[r.label], r.cpuRatio)
	}
	for i := range out {
		out[i].meanStep /= time.Duration(out[i].runs)
		out[i].cpuStep /= time.Duration(out[i].runs)
		out[i].medianRatio = medianOf(ratios[out[i].label])
		out[i].medianCPU = medianOf(cpuRatios[out[i].label])
	}
	return out
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// baseline is the mean step time and CPU per step of the runs without checkpoints.
func baseline(runs []stepRun) (wall, cpu time.Duration) {
	n := 0
	for _, r := range runs {
		if r.checkpoints == 0 {
			wall += r.meanStep
			cpu += r.cpuStep
			n++
		}
	}
	return wall / time.Duration(max(n, 1)), cpu / time.Duration(max(n, 1))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
