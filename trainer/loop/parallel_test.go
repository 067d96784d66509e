package loop

import (
	"context"
	"fmt"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/collective"
)

// runRanks trains one attempt with world ranks, each a goroutine joined over loopback
// TCP, and returns every rank's result and the losses rank 0 saw.
func runRanks(t *testing.T, spec *experiments.Spec, data *Data, world int) ([]*Result, []float32) {
	t.Helper()
	return runRanksInto(t, spec, world, newStore(t), func(int) (*Data, error) { return data, nil }, nil)
}

// runRanksInto is runRanks with rank 0's checkpoints written to store, each rank's
// data from dataFor, and each rank's Config changed by mutate (if not nil).
func runRanksInto(t testing.TB, spec *experiments.Spec, world int, store storage.Store, dataFor func(rank int) (*Data, error), mutate func(*Config)) ([]*Result, []float32) {
	t.Helper()
	listeners := make([]net.Listener, world)
	addrs := make([]string, world)
	for r := range listeners {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners[r], addrs[r] = ln, ln.Addr().String()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	results := make([]*Result, world)
	errs := make([]error, world)
	var losses []float32
	var wg sync.WaitGroup
	for r := 0; r < world; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			cfg := collective.DefaultConfig()
			cfg.Rank, cfg.World, cfg.Addrs, cfg.Session = r, world, addrs, "test-"+t.Name()
			comm, err := collective.JoinListener(ctx, cfg, listeners[r])
			if err != nil {
				errs[r] = err
				return
			}
			defer comm.Close()
			data, err := dataFor(r)
			if err != nil {
				errs[r] = err
				return
			}
			lc := Config{Spec: spec, Data: data, Store: store, Comm: comm, HashEvery: 7}
			if r == 0 {
				lc.Progress = func(p Progress) {
					if p.Validation == nil {
						losses = append(losses, p.Loss)
					}
				}
			}
			lc.Ledger = checkpoint.StoreLedger{Store: store}
			if mutate != nil {
				mutate(&lc)
			}
			results[r], errs[r] = Run(ctx, lc)
		}(r)
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return results, losses
}

// TestDataParallelMatchesOneWorker: W workers with per-rank batch B/W take the same
// steps as one worker with batch B, within float32 tolerance, for the first 50 steps.
func TestDataParallelMatchesOneWorker(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	spec.Training.Epochs = 4 // 52 steps
	_, want := runRanks(t, spec, data, 1)
	for _, world := range []int{2, 3} {
		t.Run(fmt.Sprintf("world=%d", world), func(t *testing.T) {
			_, got := runRanks(t, spec, data, world)
			if len(got) < 50 || len(got) != len(want) {
				t.Fatalf("%d losses with %d ranks, %d with one", len(got), world, len(want))
			}
			for i := 0; i < 50; i++ {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*math.Max(1, float64(want[i])) {
					t.Fatalf("step %d: loss %g with %d ranks, %g with one", i+1, got[i], world, want[i])
				}
			}
		})
	}
}

// TestDataParallelReachesBarAndStaysIdentical trains WDBC on two and three workers to
// the same accuracy bar as one, with every replica bit-identical, and a second run of
// the same world bit-identical to the first.
func TestDataParallelReachesBarAndStaysIdentical(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	for _, world := range []int{2, 3} {
		t.Run(fmt.Sprintf("world=%d", world), func(t *testing.T) {
			first, _ := runRanks(t, spec, data, world)
			again, _ := runRanks(t, spec, data, world)
			test := first[0].Test
			t.Logf("%d workers: test accuracy %.4f, AUROC %.4f", world, test.Accuracy, test.AUROC)
			if test.Accuracy < 0.95 || test.AUROC < 0.98 {
				t.Fatalf("test accuracy %.4f (want ≥ 0.95), AUROC %.4f (want ≥ 0.98)", test.Accuracy, test.AUROC)
			}
			for r := 1; r < world; r++ {
				requireIdentical(t, fmt.Sprintf("rank %d vs rank 0", r), first[r], first[0])
			}
			requireIdentical(t, "second run vs first", again[0], first[0])
		})
	}
}

func requireIdentical(t *testing.T, what string, a, b *Result) {
	t.Helper()
	for i, p := range a.Params {
		q := b.Params[i]
		for j := range p.Data {
			if math.Float32bits(p.Data[j]) != math.Float32bits(q.Data[j]) {
				t.Fatalf("%s: %s[%d] = %v and %v", what, p.Name, j, p.Data[j], q.Data[j])
			}
		}
	}
}
