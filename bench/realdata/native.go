package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/kernels"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// runResult is one engine's end-to-end run of a workload.
type runResult struct {
	Config     string
	TrainRate  float64 // samples/s in training steps (batches, step, optimizer)
	ValRate    float64 // samples/s in validation
	EpochWall  []time.Duration
	Accuracy   []float64 // validation accuracy after each epoch
	Elapsed    []time.Duration
	TestAcc    float64
	TrainTotal time.Duration
}

// toTarget is the wall time from the start until validation first reached target.
func (r runResult) toTarget(target float64) (time.Duration, bool) {
	for i, a := range r.Accuracy {
		if a >= target {
			return r.Elapsed[i], true
		}
	}
	return 0, false
}

// native is dxtrain's side: the trainer/loop code path over ingested shards (or the
// CSV), as `dxtrain train` runs it.
type native struct {
	store    storage.Store
	wdbcPath string
}

func (n *native) resolver() loop.DatasetResolver { return ingest.NewLocalRegistry(n.store).ManifestOf }

// nativeConfig is dxtrain's thread settings: GOMAXPROCS, and the compute kernels'
// threads (`dxtrain train --threads`; fewer than GOMAXPROCS leaves the prefetching
// and the checkpoint writer a core).
type nativeConfig struct{ Procs, Kernels int }

func (c nativeConfig) String() string {
	return fmt.Sprintf("GOMAXPROCS=%d threads=%d", c.Procs, c.Kernels)
}

// apply sets the configuration for this process and returns what undoes it.
func (c nativeConfig) apply() func() {
	procs := runtime.GOMAXPROCS(c.Procs)
	kernels.SetThreads(c.Kernels)
	return func() {
		runtime.GOMAXPROCS(procs)
		kernels.SetThreads(0)
	}
}

// nativeConfigs is every GOMAXPROCS up to max with every kernel thread count up to it.
func nativeConfigs(max int) []nativeConfig {
	var out []nativeConfig
	for p := 1; p <= max; p++ {
		for k := 1; k <= p; k++ {
			out = append(out, nativeConfig{p, k})
		}
	}
	return out
}

// sweepRate is the training-step rate of the loop at a thread count, over steps
// after the first few (the first epoch's loader start and the graph's first use),
// leaving out any interval that holds a validation.
func (n *native) sweepRate(ctx context.Context, spec *experiments.Spec, c nativeConfig, steps int) (float64, error) {
	defer c.apply()()
	data, err := loop.LoadData(ctx, spec, n.store, n.resolver(), 0, 1)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		last    time.Time
		total   time.Duration
		samples int
		counted int
	)
	const warm = 5
	_, err = loop.Run(ctx, loop.Config{Spec: spec, Data: data, Store: n.store, Ledger: checkpoint.StoreLedger{Store: n.store}, NoCheckpoints: true,
		Progress: func(p loop.Progress) {
			now := time.Now()
			if p.Validation != nil || p.Step <= warm {
				last = now
				return
			}
			total += now.Sub(last)
			samples += stepRows(p.Step, data.Train.N, spec.Training.BatchSize)
			last = now
			if counted++; counted == steps {
				cancel()
			}
		}})
	if err != nil && !errors.Is(err, context.Canceled) {
		return 0, err
	}
	if total == 0 {
		return 0, fmt.Errorf("sweep %s: no step timed", spec.Name)
	}
	return float64(samples) / total.Seconds(), nil
}

// run trains the whole workload through trainer.TrainLocal, the function behind
// `dxtrain train`, timing each validation report from the call.
func (n *native) run(ctx context.Context, src []byte, spec *experiments.Spec, c nativeConfig, records int) (runResult, error) {
	defer c.apply()()
	out, err := os.MkdirTemp("", "dxtrain-realdata-run-")
	if err != nil {
		return runResult{}, err
	}
	defer os.RemoveAll(out)
	r := runResult{Config: c.String()}
	// The rates come from the progress reports' times, as the peer times its own
	// loops: a step's interval runs from the previous report (the first step of the
	// run is left out), and the interval that ends in a validation report holds the
	// epoch's checkpoint hand-over and its validation.
	var (
		trainTime, valTime time.Duration
		trainN, valN       int
	)
	start := time.Now()
	prev, last := start, time.Time{}
	res, err := trainer.TrainLocal(ctx, trainer.LocalConfig{Spec: spec, SpecSource: src, Store: n.store, OutDir: out,
		Progress: func(p loop.Progress) {
			now := time.Now()
			switch {
			case p.Validation != nil:
				valTime += now.Sub(last)
				valN += p.Validation.N
				r.EpochWall = append(r.EpochWall, now.Sub(prev))
				r.Elapsed = append(r.Elapsed, now.Sub(start))
				r.Accuracy = append(r.Accuracy, p.Validation.Accuracy)
				prev = now
			case !last.IsZero():
				trainTime += now.Sub(last)
				trainN += stepRows(p.Step, records, spec.Training.BatchSize)
			}
			last = now
		}})
	if err != nil {
		return runResult{}, err
	}
	r.TestAcc = res.Train.Test.Accuracy
	if trainTime > 0 && valTime > 0 {
		r.TrainRate, r.ValRate = float64(trainN)/trainTime.Seconds(), float64(valN)/valTime.Seconds()
	}
	r.TrainTotal = time.Since(start)
	return r, nil
}

// stepRate is the engine's step benchmark on real batches: the graph's forward and
// backward and Adam on the training split's first batches in turn, with no loop
// around them (no batch assembly, progress or checkpoints).
func stepRate(spec *experiments.Spec, data *loop.Data, train loop.Split, c nativeConfig, d time.Duration) (float64, error) {
	defer c.apply()()
	net, err := models.NewNetwork(models.Options{Architecture: spec.Model.Architecture, InputShape: data.InputShape,
		Hidden: spec.Model.Hidden, Classes: len(data.Classes)})
	if err != nil {
		return 0, err
	}
	batches := realBatches(train, data.Preprocess, net.InputSize(), spec.Training.BatchSize, 16)
	return timeSteps(net, batches, spec.Training.BatchSize, d)
}

// stepRows is how many records step (1-based) of the run trains on: a full batch
// but for each epoch's last, which holds the rest.
func stepRows(step int64, records, batch int) int {
	perEpoch := (records + batch - 1) / batch
	if int((step-1)%int64(perEpoch)) == perEpoch-1 {
		return records - (perEpoch-1)*batch
	}
	return batch
}
