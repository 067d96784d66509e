package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// replayResult is the time loop.Replay took to go from one checkpoint to one n steps
// later, and whether it reproduced it bit for bit.
type replayResult struct {
	steps     int
	took      time.Duration
	identical bool
}

// replay trains 2n steps with a checkpoint every n into store, then replays from the
// first checkpoint to the second.
func replay(ctx context.Context, data *loop.Data, hidden []int, n int, store storage.Store) (replayResult, error) {
	spec := benchSpec("bench-replay", hidden, n)
	ledger := checkpoint.StoreLedger{Store: store}
	if _, err := loop.Run(ctx, loop.Config{Spec: spec, Data: data, Store: store, Ledger: ledger,
		StopAfterStep: int64(2 * n), CodeVersion: "bench"}); err != nil {
		return replayResult{}, fmt.Errorf("replay: train: %w", err)
	}
	records, err := ledger.List(ctx, spec.Name)
	if err != nil {
		return replayResult{}, err
	}
	if len(records) < 2 {
		return replayResult{}, fmt.Errorf("replay: %d checkpoints written, want 2", len(records))
	}
	from, err := checkpoint.Load(ctx, store, records[len(records)-2].ManifestSHA)
	if err != nil {
		return replayResult{}, err
	}
	to, err := checkpoint.Load(ctx, store, records[len(records)-1].ManifestSHA)
	if err != nil {
		return replayResult{}, err
	}
	rep, err := loop.Replay(ctx, spec, data, from, to)
	if err != nil {
		return replayResult{}, err
	}
	return replayResult{steps: int(rep.ToStep - rep.FromStep), took: rep.Duration, identical: rep.Identical}, nil
}
