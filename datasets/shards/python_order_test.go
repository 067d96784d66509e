package shards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// python is the interpreter the torch runtime's ranks run under.
const python = "/usr/bin/python3"

// pythonOrder reads each config's epoch through python/dxtrain's Dataset
// and prints every batch, then the validation split in row order.
const pythonOrder = `
import json, sys
import dxtrain
out = {"epochs": [], "validation": None}
for c in json.load(sys.stdin):
    ds = dxtrain.Dataset(sys.argv[1], rank=c["Rank"], world_size=c["World"], seed=c["Seed"])
    batches = ds.batches("train", batch_size=c["BatchSize"], epoch=c["Epoch"], shuffle_window=c["Window"])
    out["epochs"].append({"Steps": ds.steps_per_epoch(c["BatchSize"]),
        "Batches": [{"X": [r.ravel().tolist() for r in x], "Y": y.tolist()} for x, y in batches]})
x, y = dxtrain.Dataset(sys.argv[1]).arrays("validation")
out["validation"] = {"X": [r.ravel().tolist() for r in x], "Y": y.tolist()}
json.dump(out, sys.stdout)
`

type pyConfig struct {
	Rank, World, BatchSize, Epoch, Window int
	Seed                                  uint64
}

type pyBatch struct {
	X [][]float32
	Y []int32
}

type pyEpoch struct {
	Steps   int
	Batches []pyBatch
}

// TestPythonReaderMatchesLoader checks that python/dxtrain, reading the
// dataset directory the agent lays out for a torch rank (PROTOCOL.md), gives
// every rank exactly the records the Go Loader gives it, in the same order:
// both sides define the order independently (the Python side transcribes
// math/rand/v2), so only this comparison catches a drift.
func TestPythonReaderMatchesLoader(t *testing.T) {
	if out, err := exec.Command(python, "-c", "import numpy").CombinedOutput(); err != nil {
		if testing.Short() { // the fast tier (make test-short) installs no Debian packages
			t.Skipf("skipping under -short: %s cannot import numpy (%v): `make test` installs python3-numpy and runs this test",
				python, err)
		}
		t.Fatalf("%s with numpy runs python/dxtrain for this check (%v: %s): install python3-numpy (make test installs it)",
			python, err, bytes.TrimSpace(out))
	}
	store, m, _ := testDataset(t, 50, 100) // 3 records a shard: 17 shards, 5 windows of 4
	dir := pythonDatasetDir(t, store, m)

	var configs []pyConfig
	for world := 1; world <= 3; world++ {
		for rank := range world {
			for epoch := range 3 {
				// 50 = 6·8+2 and 7·7+1: short last batches, empty on some ranks.
				for _, batch := range []int{8, 7} {
					configs = append(configs, pyConfig{rank, world, batch, epoch, DefaultShuffleWindow, 18446744073709551557})
				}
			}
		}
	}
	configs = append(configs, pyConfig{1, 2, 5, 1, 2, 9}, pyConfig{0, 1, 64, 0, 1, 0})

	in, err := json.Marshal(configs)
	if err != nil {
		t.Fatal(err)
	}
	pyDir, err := filepath.Abs(filepath.Join("..", "..", "python"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), python, "-c", pythonOrder, dir)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pyDir)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python/dxtrain: %v\n%s", err, stderr.String())
	}
	var got struct {
		Epochs     []pyEpoch
		Validation pyBatch
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output: %v", err)
	}
	if len(got.Epochs) != len(configs) {
		t.Fatalf("python read %d epochs, want %d", len(got.Epochs), len(configs))
	}
	for i, c := range configs {
		t.Run(fmt.Sprintf("w%d_r%d_e%d_b%d_win%d", c.World, c.Rank, c.Epoch, c.BatchSize, c.Window), func(t *testing.T) {
			l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{Rank: c.Rank, World: c.World,
				Seed: c.Seed, BatchSize: c.BatchSize, ShuffleWindow: c.Window})
			if err != nil {
				t.Fatal(err)
			}
			want := goEpoch(t, l, c.Epoch)
			compareEpochs(t, got.Epochs[i], want)
		})
	}

	l, err := NewLoader(t.Context(), store, m, PartValidation, LoaderConfig{World: 1, BatchSize: 1 << 20, Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	want := goEpoch(t, l, 0)
	compareEpochs(t, pyEpoch{Steps: 1, Batches: []pyBatch{got.Validation}}, want)
}

// pythonDatasetDir lays the dataset out as the agent does for a torch rank:
// manifest.json and shards/<sha256>.safetensors.
func pythonDatasetDir(t *testing.T, store storage.Store, m *Manifest) string {
	t.Helper()
	dir := t.TempDir()
	canon, err := m.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), canon, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "shards"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range PartNames {
		p, _ := m.Split.Part(name)
		for _, ref := range p.Shards {
			data, err := storage.GetBlob(t.Context(), store, ref.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "shards", ref.SHA256+".safetensors"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// goEpoch reads one epoch through the Loader in the shape the Python side prints.
func goEpoch(t *testing.T, l *Loader, epoch int) pyEpoch {
	t.Helper()
	it, err := l.Epoch(epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	e := pyEpoch{Steps: l.StepsPerEpoch()}
	f := l.FeatureLen()
	for {
		b, ok, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return e
		}
		pb := pyBatch{X: [][]float32{}, Y: b.Y}
		for i := range b.N {
			pb.X = append(pb.X, b.X[i*f:(i+1)*f])
		}
		e.Batches = append(e.Batches, pb)
	}
}

func compareEpochs(t *testing.T, got, want pyEpoch) {
	t.Helper()
	if got.Steps != want.Steps || len(got.Batches) != len(want.Batches) {
		t.Fatalf("python: %d steps, %d batches; go: %d steps, %d batches", got.Steps, len(got.Batches), want.Steps, len(want.Batches))
	}
	for k := range want.Batches {
		g, w := got.Batches[k], want.Batches[k]
		if !slices.Equal(g.Y, w.Y) || len(g.X) != len(w.X) {
			t.Fatalf("batch %d: python labels %v, go %v", k, g.Y, w.Y)
		}
		for i := range w.X {
			if !slices.Equal(g.X[i], w.X[i]) {
				t.Fatalf("batch %d record %d: python features %v, go %v", k, i, g.X[i], w.X[i])
			}
		}
	}
}
