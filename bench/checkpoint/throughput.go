package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// namedStore is a store under test ("disk", "minio"); a nil store means no checkpoints.
type namedStore struct {
	name  string
	store storage.Store
}

// rates is the median throughput of reps repetitions, in MB/s (10^6 bytes).
type rates struct {
	bytes                   int64
	ckptWrite, ckptRead     float64
	plainWrite, plainRead   float64
	ckptWriteMS, plainPutMS float64
}

// benchState is a checkpoint of the bench model with Adam state.
func benchState(hidden []int) (*checkpoint.State, error) {
	net, err := models.NewNetwork(models.Options{Architecture: "mlp", InputShape: []int{784}, Hidden: hidden, Classes: 10})
	if err != nil {
		return nil, err
	}
	params := models.InitParams(net, 1)
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	state := checkpoint.CloneTensors(opt.State())
	for _, p := range state { // realistic, incompressible moments
		for i := range p.Data {
			p.Data[i] = float32(rng.NormFloat64()) * 1e-3
		}
	}
	return &checkpoint.State{Experiment: "bench-throughput", Cursor: checkpoint.Cursor{Step: 1}, WorldSize: 1,
		Network: net, Params: checkpoint.CloneTensors(params), Optimizer: state, Metrics: map[string]float64{},
		DatasetHash: "synthetic", SpecHash: "bench", CodeVersion: "bench"}, nil
}

// throughput saves and loads the checkpoint reps times (a different first parameter
// each time, so no upload is skipped as a duplicate), and puts and gets one plain
// object of the same total size, in the same run. Checkpoint write includes the
// read-back verification Save does; checkpoint read includes hashing and decoding.
func throughput(ctx context.Context, ns namedStore, st *checkpoint.State, reps int) (rates, error) {
	return throughputFrom(ctx, ns, st, reps, 0)
}

// throughputFrom is throughput with the repetitions numbered from first, for callers
// that measure the same store more than once.
func throughputFrom(ctx context.Context, ns namedStore, st *checkpoint.State, reps, first int) (rates, error) {
	var r rates
	var cw, cr, pw, pr []time.Duration
	for rep := first; rep < first+reps; rep++ {
		st.Params[0].Data[0] = float32(rep) + 0.5
		t0 := time.Now()
		m, sha, err := checkpoint.Save(ctx, ns.store, st, time.Now())
		if err != nil {
			return r, fmt.Errorf("%s: save: %w", ns.name, err)
		}
		cw = append(cw, time.Since(t0))
		t0 = time.Now()
		if _, err := checkpoint.Load(ctx, ns.store, sha); err != nil {
			return r, fmt.Errorf("%s: load: %w", ns.name, err)
		}
		cr = append(cr, time.Since(t0))
		r.bytes = 0
		for _, b := range m.Blobs {
			r.bytes += b.Size
		}
		payload := make([]byte, r.bytes)
		rng := rand.New(rand.NewPCG(uint64(rep), 9))
		for i := 0; i+8 <= len(payload); i += 8 {
			v := rng.Uint64()
			for k := range 8 {
				payload[i+k] = byte(v >> (8 * k))
			}
		}
		key := fmt.Sprintf("bench/plain-%d", rep)
		t0 = time.Now()
		if err := ns.store.Put(ctx, key, bytes.NewReader(payload), int64(len(payload))); err != nil {
			return r, fmt.Errorf("%s: plain put: %w", ns.name, err)
		}
		pw = append(pw, time.Since(t0))
		t0 = time.Now()
		rc, err := ns.store.Get(ctx, key)
		if err != nil {
			return r, fmt.Errorf("%s: plain get: %w", ns.name, err)
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return r, fmt.Errorf("%s: plain get: %w", ns.name, err)
		}
		pr = append(pr, time.Since(t0))
		_ = ns.store.Delete(ctx, key)
	}
	mb := float64(r.bytes) / 1e6
	r.ckptWrite, r.ckptRead = mb/median(cw).Seconds(), mb/median(cr).Seconds()
	r.plainWrite, r.plainRead = mb/median(pw).Seconds(), mb/median(pr).Seconds()
	r.ckptWriteMS, r.plainPutMS = float64(median(cw).Milliseconds()), float64(median(pw).Milliseconds())
	return r, nil
}
