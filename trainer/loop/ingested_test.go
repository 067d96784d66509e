package loop

import (
	"context"
	"math"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/collective"
)

// ingestWDBC puts the shipped WDBC ingest spec through the gate into a fresh store.
func ingestWDBC(t *testing.T) (storage.Store, string, *experiments.Spec) {
	t.Helper()
	store := newStore(t)
	res, err := ingest.Ingest(t.Context(), ingest.Config{
		SpecPath: filepath.Join(repoRoot, "datasets", "specs", "wdbc-ingest.yaml"), Store: store,
		Registrar: ingest.NewLocalRegistry(store), Seed: 42, ShardBytes: 8 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := experiments.Load(filepath.Join(repoRoot, "experiments", "wdbc-ingested-mlp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return store, res.ManifestSHA, spec
}

// TestTrainOnIngestedDataset trains the shipped ingested-dataset spec from shards
// streamed by the loader, and checks two ranks take the same steps as one.
func TestTrainOnIngestedDataset(t *testing.T) {
	store, manifest, spec := ingestWDBC(t)
	data, err := LoadIngested(t.Context(), store, manifest, spec.Training.Seed, spec.Training.BatchSize, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), Config{Spec: spec, Data: data, Store: store, Ledger: checkpoint.StoreLedger{Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ingested WDBC: %d training records in shards, test accuracy %.4f, AUROC %.4f", data.Train.N, res.Test.Accuracy, res.Test.AUROC)
	if res.Test.Accuracy < 0.93 || res.Test.AUROC < 0.97 {
		t.Fatalf("test accuracy %.4f, AUROC %.4f: below 0.93 / 0.97", res.Test.Accuracy, res.Test.AUROC)
	}

	// Two ranks reading their strides of the same shards take the steps one rank takes.
	spec.Training.Epochs = 2
	var oneRank []float32
	if _, err := Run(t.Context(), Config{Spec: spec, Data: data, NoCheckpoints: true,
		Progress: func(p Progress) {
			if p.Validation == nil {
				oneRank = append(oneRank, p.Loss)
			}
		}}); err != nil {
		t.Fatal(err)
	}
	lns := []net.Listener{listen(t), listen(t)}
	addrs := []string{lns[0].Addr().String(), lns[1].Addr().String()}
	var wg sync.WaitGroup
	losses := make([][]float32, 2)
	errs := make([]error, 2)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			ctx := context.Background()
			cfg := collective.DefaultConfig()
			cfg.Rank, cfg.World, cfg.Addrs, cfg.Session = r, 2, addrs, t.Name()
			comm, err := collective.JoinListener(ctx, cfg, lns[r])
			if err != nil {
				errs[r] = err
				return
			}
			defer comm.Close()
			d, err := LoadIngested(ctx, store, manifest, spec.Training.Seed, spec.Training.BatchSize, r, 2)
			if err != nil {
				errs[r] = err
				return
			}
			_, errs[r] = Run(ctx, Config{Spec: spec, Data: d, Comm: comm, Store: newStore(t), Ledger: checkpoint.StoreLedger{Store: newStore(t)},
				Progress: func(p Progress) {
					if p.Validation == nil {
						losses[r] = append(losses[r], p.Loss)
					}
				}})
		}(r)
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	if len(losses[0]) != len(oneRank) || len(oneRank) == 0 {
		t.Fatalf("%d steps on two ranks, %d on one", len(losses[0]), len(oneRank))
	}
	for i, l := range losses[0] {
		if d := math.Abs(float64(l - oneRank[i])); d > 1e-4*math.Max(1, float64(oneRank[i])) {
			t.Fatalf("step %d: loss %g on two ranks, %g on one", i+1, l, oneRank[i])
		}
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
