package loop

import (
	"bytes"
	"context"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

const repoRoot = "../.."

// loadSpec reads a shipped spec with its dataset path made relative to this package.
func loadSpec(t testing.TB, name string) (*experiments.Spec, *Data) {
	t.Helper()
	spec, err := experiments.Load(filepath.Join(repoRoot, "experiments", name))
	if err != nil {
		t.Fatal(err)
	}
	spec.Dataset.Path = filepath.Join(repoRoot, spec.Dataset.Path)
	data, err := LoadTabular(spec.Dataset, spec.Training.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return spec, data
}

func newStore(t testing.TB) storage.Store {
	t.Helper()
	s, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	if cfg.Ledger == nil {
		cfg.Ledger = checkpoint.StoreLedger{Store: cfg.Store}
	}
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestWDBCMLPReachesClinicalBar trains the shipped wdbc-mlp spec on the real data.
func TestWDBCMLPReachesClinicalBar(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	res := run(t, Config{Spec: spec, Data: data, Store: newStore(t)})
	t.Logf("test accuracy %.4f, AUROC %.4f, %d steps, %.0f samples/s", res.Test.Accuracy, res.Test.AUROC, res.Steps, res.SamplesPerSec)
	if res.Test.Accuracy < 0.95 || res.Test.AUROC < 0.98 {
		t.Fatalf("test accuracy %.4f (want ≥ 0.95), AUROC %.4f (want ≥ 0.98)", res.Test.Accuracy, res.Test.AUROC)
	}
	if len(res.Checkpoints) == 0 || res.Checkpoints[len(res.Checkpoints)-1].Step != res.Steps {
		t.Fatalf("the final state was not checkpointed: %+v", res.Checkpoints)
	}
}

// TestStopAndResumeIsBitIdentical stops a run mid-epoch, resumes it from its last
// committed checkpoint, and compares the final parameters with an uninterrupted run.
func TestStopAndResumeIsBitIdentical(t *testing.T) {
	for _, name := range []string{"wdbc-mlp.yaml", "wdbc-logreg.yaml"} {
		t.Run(name, func(t *testing.T) {
			spec, data := loadSpec(t, name)
			spec.Training.Epochs = 4
			spec.Checkpoint.EverySteps = 5

			whole := run(t, Config{Spec: spec, Data: data, Store: newStore(t)})

			store := newStore(t)
			stopAt := whole.Steps/2 + 1 // mid-epoch, between checkpoints' usual cadence
			first := run(t, Config{Spec: spec, Data: data, Store: store, StopAfterStep: stopAt})
			if !first.Stopped || first.Steps != stopAt {
				t.Fatalf("first run stopped=%v at step %d, want a stop at %d", first.Stopped, first.Steps, stopAt)
			}
			resumed := run(t, Config{Spec: spec, Data: data, Store: store, Resume: true})
			if resumed.Steps != whole.Steps {
				t.Fatalf("resumed run ended at step %d, uninterrupted at %d", resumed.Steps, whole.Steps)
			}
			for i, p := range whole.Params {
				q := resumed.Params[i]
				for j := range p.Data {
					if math.Float32bits(p.Data[j]) != math.Float32bits(q.Data[j]) {
						t.Fatalf("%s[%d]: uninterrupted %v, resumed %v", p.Name, j, p.Data[j], q.Data[j])
					}
				}
			}
		})
	}
}

// TestResumeRefusesCorruptCheckpoint flips a byte of the newest checkpoint's parameter
// blob: resume must fall back to the previous committed checkpoint.
func TestResumeFallsBackFromCorruptCheckpoint(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-logreg.yaml")
	spec.Training.Epochs = 2
	spec.Checkpoint.EverySteps = 4
	store := newStore(t)
	first := run(t, Config{Spec: spec, Data: data, Store: store, StopAfterStep: 8})
	if len(first.Checkpoints) < 2 {
		t.Fatalf("want two checkpoints, have %d", len(first.Checkpoints))
	}
	ctx := context.Background()
	newest, err := checkpoint.Load(ctx, store, first.Checkpoints[len(first.Checkpoints)-1].ManifestSHA)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := newest.Manifest.Blob("params")
	corrupt(t, store, storage.BlobKey(ref.SHA256))

	l, err := checkpoint.Latest(ctx, checkpoint.StoreLedger{Store: store}, store, spec.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Manifest.Cursor.Step, first.Checkpoints[len(first.Checkpoints)-2].Step; got != want {
		t.Fatalf("latest usable checkpoint is step %d, want the previous one at %d", got, want)
	}
}

func corrupt(t *testing.T, store storage.Store, key string) {
	t.Helper()
	ctx := context.Background()
	rc, err := store.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := store.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

// TestReplayAcrossCheckpoints replays every consecutive pair of a run's checkpoints
// bit for bit, and shows that a tampered target is reported with the first tensor that
// differs.
func TestReplayAcrossCheckpoints(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	spec.Training.Epochs = 3
	spec.Checkpoint.EverySteps = 10
	store := newStore(t)
	res := run(t, Config{Spec: spec, Data: data, Store: store})
	if len(res.Checkpoints) < 3 {
		t.Fatalf("want at least 3 checkpoints, have %d", len(res.Checkpoints))
	}
	ctx := t.Context()
	load := func(r checkpoint.Record) *checkpoint.Loaded {
		l, err := checkpoint.Load(ctx, store, r.ManifestSHA)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for i := 1; i < len(res.Checkpoints); i++ {
		from, to := load(res.Checkpoints[i-1]), load(res.Checkpoints[i])
		rep, err := Replay(ctx, spec, data, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Identical || rep.Tensors == 0 {
			t.Fatalf("replay %d → %d: %+v", rep.FromStep, rep.ToStep, rep)
		}
	}
	from, to := load(res.Checkpoints[0]), load(res.Checkpoints[1])
	to.Optimizer["optimizer.adam.m.dense1.bias"][3] += 1e-3
	rep, err := Replay(ctx, spec, data, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identical || rep.Difference == nil || rep.Difference.Tensor != "optimizer.adam.m.dense1.bias" || rep.Difference.Index != 3 {
		t.Fatalf("tampered target not located: %+v", rep.Difference)
	}
}
