// Command realdata measures end-to-end training on real data, dxtrain against PyTorch
// in one run (issue 24): Fashion-MNIST (Debian's dataset-fashion-mnist, ingested into
// shards as `dxtrain datasets ingest` does) with the benchmark CNN and the
// 784-256-128-10 MLP, and WDBC with the MLP. Both engines train on the same splits
// (dxtrain's, exported to the peer), with Adam 1e-3, batch 128, the same epochs,
// batched validation after every epoch and a saved state per epoch. dxtrain runs
// through trainer.TrainLocal, the code behind `dxtrain train`; PyTorch runs
// bench/realdata/peer.py. Each engine first sweeps its thread settings on a short
// stretch of training steps and runs in its fastest one; the sweep is printed.
//
// A synthetic micro-benchmark said the native CNN was 3.5× faster while real training
// said the reverse, so claims of speed come from here; the step benchmark on real
// batches is printed beside the loop's rate to show what the loop costs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

type options struct {
	python, peerScript, fashionDir, wdbcPath string
	only                                     map[string]bool
	maxThreads, sweepSteps                   int
	stepTime                                 time.Duration
}

func main() {
	var o options
	var only string
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "the Python with torch (Debian's python3-torch)")
	flag.StringVar(&o.peerScript, "peer", "bench/realdata/peer.py", "the PyTorch peer")
	flag.StringVar(&o.fashionDir, "fashion", "/usr/share/datasets/fashion-mnist", "Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist)")
	flag.StringVar(&o.wdbcPath, "wdbc", "datasets/testdata/wdbc.csv", "the WDBC CSV")
	flag.StringVar(&only, "workloads", "", "comma-separated workloads to run (default all: fashion-cnn, fashion-mlp, wdbc-mlp)")
	flag.IntVar(&o.maxThreads, "threads", 2, "largest thread count of each setting in the sweeps")
	flag.IntVar(&o.sweepSteps, "sweep-steps", 40, "training steps timed per sweep point")
	flag.DurationVar(&o.stepTime, "step-time", 3*time.Second, "duration of dxtrain's step benchmark on real batches")
	flag.Parse()
	if only != "" {
		o.only = map[string]bool{}
		for _, w := range strings.Split(only, ",") {
			o.only[w] = true
		}
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "realdata:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "dxtrain-realdata-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := storage.Open(ctx, "file://"+dir+"/store", storage.Config{})
	if err != nil {
		return err
	}
	if err := ingestFashion(ctx, store, o.fashionDir); err != nil {
		return err
	}
	n := &native{store: store, wdbcPath: o.wdbcPath}
	p := peer{python: o.python, script: o.peerScript}
	var rows []row
	for _, w := range workloads {
		if o.only != nil && !o.only[w.Name] {
			continue
		}
		r, err := measure(ctx, o, n, p, w, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", w.Name, err)
		}
		rows = append(rows, r)
	}
	printTables(os.Stdout, rows)
	return nil
}

// row is one workload's figures for both engines.
type row struct {
	w                  workload
	native, torch      runResult // torch: the faster of torchDefault and torchFTZ
	torchDefault       runResult
	torchFTZ           runResult
	stepRate, stepLoop float64 // dxtrain's step benchmark on real batches, and its loop in the sweep
	nativeSweep        map[nativeConfig]float64
	torchSweep         map[peerConfig]float64
}

func measure(ctx context.Context, o options, n *native, p peer, w workload, dir string) (row, error) {
	r := row{w: w, nativeSweep: map[nativeConfig]float64{}, torchSweep: map[peerConfig]float64{}}
	_, probe, err := w.spec(o.wdbcPath, 1)
	if err != nil {
		return r, err
	}
	data, err := loop.LoadData(ctx, probe, n.store, n.resolver(), 0, 1)
	if err != nil {
		return r, err
	}
	src, spec, err := w.spec(o.wdbcPath, (data.Train.N+batchSize-1)/batchSize)
	if err != nil {
		return r, err
	}
	train := data.Train
	if data.Source != nil {
		sha, err := n.resolver()(ctx, probe.Dataset.ID)
		if err != nil {
			return r, err
		}
		if train, err = ingestedTrain(ctx, n.store, sha); err != nil {
			return r, err
		}
	}
	peerData, err := os.MkdirTemp(dir, w.Name+"-")
	if err != nil {
		return r, err
	}
	if err := export(peerData, data, train); err != nil {
		return r, err
	}
	fmt.Fprintf(os.Stderr, "%s: %d training, %d validation records; sweeping thread settings\n", w.Name, train.N, data.Validation.N)
	var bestNative nativeConfig
	bestTorch := peerConfig{}
	for _, c := range nativeConfigs(o.maxThreads) {
		rate, err := n.sweepRate(ctx, spec, c, o.sweepSteps)
		if err != nil {
			return r, err
		}
		if r.nativeSweep[c] = rate; rate > r.nativeSweep[bestNative] {
			bestNative = c
		}
	}
	for _, c := range peerConfigs(o.maxThreads) {
		rate, err := p.sweepRate(c, peerData, w.Model, o.sweepSteps)
		if err != nil {
			return r, err
		}
		if r.torchSweep[c] = rate; rate > r.torchSweep[bestTorch] {
			bestTorch = c
		}
	}
	r.stepLoop = r.nativeSweep[bestNative]
	if r.stepRate, err = stepRate(spec, data, train, bestNative, o.stepTime); err != nil {
		return r, err
	}
	fmt.Fprintf(os.Stderr, "%s: training %d epochs, dxtrain at %s, PyTorch at %s\n", w.Name, w.Epochs, bestNative, bestTorch)
	if r.native, err = n.run(ctx, src, spec, bestNative, train.N); err != nil {
		return r, err
	}
	// A short sweep cannot see subnormals, which appear after hundreds of steps: the
	// whole run is made with flush-to-zero off and on, and the faster one is compared.
	if r.torchDefault, err = p.run(bestTorch, peerData, w.Model, w.Epochs); err != nil {
		return r, err
	}
	ftz := bestTorch
	ftz.FlushDenormal = true
	if r.torchFTZ, err = p.run(ftz, peerData, w.Model, w.Epochs); err != nil {
		return r, err
	}
	r.torch = r.torchDefault
	if r.torchFTZ.TrainRate > r.torch.TrainRate {
		r.torch = r.torchFTZ
	}
	return r, nil
}
