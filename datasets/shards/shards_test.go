package shards

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/storage"
)

const testFeatures = 3

// testDataset writes a dataset of n training records (and a few validation
// and test ones) whose first feature is the record's row, so coverage can be
// checked from the batches alone.
func testDataset(t *testing.T, n int, targetBytes int64) (storage.Store, *Manifest, *Writer) {
	t.Helper()
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(WriterConfig{Store: store, TargetBytes: targetBytes, FeatureShape: []int{testFeatures},
		Classes: 3, Subgroups: []string{"site"}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{
		Version: ManifestVersion, Name: "test", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Schema: Schema{Kind: KindTabular, FeatureShape: []int{testFeatures}, Features: []string{"a", "b", "c"},
			LabelColumn: "y", Classes: []string{"x", "y", "z"}},
		Gate:      &gate.Report{Passed: true, Rows: n, K: 10, Findings: []gate.Finding{}},
		Split:     Split{Seed: 1, Fractions: [3]float64{0.8, 0.1, 0.1}},
		Stats:     FeatureStats{Axis: AxisFeature, Mean: []float64{0, 0, 0}, Std: []float64{1, 1, 1}},
		Subgroups: []Subgroup{{Name: "site", Codes: []string{"A", "B"}}},
	}
	for pi, count := range []int{n, 4, 3} {
		recs := &Records{Subgroups: [][]int32{nil}}
		for i := range count {
			recs.X = append(recs.X, float32(i), float32(pi), -1)
			recs.Y = append(recs.Y, int32(i%3))
			recs.Subgroups[0] = append(recs.Subgroups[0], int32(i%2))
		}
		part, err := w.WritePart(t.Context(), PartNames[pi], recs)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := m.Split.Part(PartNames[pi])
		*p = part
	}
	if _, err := PutManifest(t.Context(), store, m); err != nil {
		t.Fatal(err)
	}
	return store, m, w
}

func TestManifestRoundTrip(t *testing.T) {
	store, m, _ := testDataset(t, 50, 64)
	sha, err := m.SHA256()
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadManifest(t.Context(), store, sha)
	if err != nil {
		t.Fatal(err)
	}
	sha2, _ := got.SHA256()
	if sha2 != sha {
		t.Fatalf("hash changed over a round trip: %s → %s", sha, sha2)
	}
	if len(got.Split.Train.Shards) < 5 {
		t.Fatalf("%d training shards, want many with a 64-byte target", len(got.Split.Train.Shards))
	}
	canon, _ := m.Canonical()
	for _, tc := range []struct{ name, data string }{
		{"indented", strings.Replace(string(canon), `{"version"`, "{\n \"version\"", 1)},
		{"unknown field", strings.Replace(string(canon), `{"version":1`, `{"version":1,"extra":2`, 1)},
		{"trailing", string(canon) + "{}"},
		{"bad counts", strings.Replace(string(canon), `"records":50`, `"records":51`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseManifest([]byte(tc.data)); !errors.Is(err, ErrManifest) {
				t.Fatalf("err = %v, want ErrManifest", err)
			}
		})
	}
}

// collect reads a whole epoch of one rank and returns each batch's rows.
func collect(t *testing.T, l *Loader, epoch, from int) ([]int64, [][]int64) {
	t.Helper()
	it, err := l.EpochFrom(epoch, from)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var rows []int64
	var batches [][]int64
	for {
		b, ok, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		for i := range b.N {
			r := b.RowIDs[i]
			if b.X[i*testFeatures] != float32(r) || b.Y[i] != int32(r%3) || b.Subgroups[0][i] != int32(r%2) {
				t.Fatalf("record %d: features, label or subgroup do not belong to it", r)
			}
		}
		batches = append(batches, b.RowIDs)
		rows = append(rows, b.RowIDs...)
	}
	return rows, batches
}

func TestLoaderExactlyOnce(t *testing.T) {
	for _, n := range []int{1, 7, 50, 101} {
		store, m, _ := testDataset(t, n, 100) // ~4 records per shard
		for world := 1; world <= 4; world++ {
			for _, batch := range []int{1, 3, 8} {
				t.Run(fmt.Sprintf("n%d_w%d_b%d", n, world, batch), func(t *testing.T) {
					seen := make([]int, n)
					var orders [][]int64
					steps := -1
					for rank := range world {
						l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{Rank: rank, World: world, Seed: 9, BatchSize: batch, ShuffleWindow: 2})
						if err != nil {
							t.Fatal(err)
						}
						rows, bs := collect(t, l, 3, 0)
						batches := len(bs)
						if steps >= 0 && batches != steps {
							t.Fatalf("rank %d yields %d batches, rank 0 %d", rank, batches, steps)
						}
						steps = batches
						if batches != l.StepsPerEpoch() {
							t.Fatalf("%d batches, StepsPerEpoch %d", batches, l.StepsPerEpoch())
						}
						for _, r := range rows {
							seen[r]++
						}
						orders = append(orders, rows)
					}
					for r, c := range seen {
						if c != 1 {
							t.Fatalf("record %d seen %d times", r, c)
						}
					}
				})
			}
		}
	}
}

func TestLoaderDeterministicAndShuffled(t *testing.T) {
	store, m, _ := testDataset(t, 101, 100)
	load := func(seed uint64, epoch int) []int64 {
		l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{Rank: 1, World: 2, Seed: seed, BatchSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := collect(t, l, epoch, 0)
		return rows
	}
	a, b := load(1, 0), load(1, 0)
	if !slices.Equal(a, b) {
		t.Fatal("same seed and epoch gave different orders")
	}
	if slices.Equal(a, load(1, 1)) {
		t.Fatal("epochs 0 and 1 have the same order")
	}
	if slices.Equal(a, load(2, 0)) {
		t.Fatal("seeds 1 and 2 give the same order")
	}
	if slices.IsSorted(a) {
		t.Fatal("records come in row order: not shuffled")
	}
}

func TestLoaderResumeMidEpoch(t *testing.T) {
	store, m, _ := testDataset(t, 97, 100)
	l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{World: 3, Rank: 2, Seed: 4, BatchSize: 12})
	if err != nil {
		t.Fatal(err)
	}
	_, full := collect(t, l, 5, 0)
	for _, k := range []int{1, 3, len(full)} {
		_, tail := collect(t, l, 5, k)
		if len(tail) != len(full)-k || fmt.Sprint(tail) != fmt.Sprint(full[k:]) {
			t.Fatalf("resume at batch %d: %d batches, want %d; records differ", k, len(tail), len(full)-k)
		}
	}
	if _, err := l.EpochFrom(5, len(full)+1); !errors.Is(err, ErrConfig) {
		t.Fatalf("resume past the end: err = %v", err)
	}
}

// TestLoaderWorldInvariant: with the same global batch size, W ranks see
// exactly the global batches one rank sees, rank r taking positions r, r+W, …
func TestLoaderWorldInvariant(t *testing.T) {
	store, m, _ := testDataset(t, 61, 100)
	cfg := LoaderConfig{World: 1, Seed: 8, BatchSize: 10, ShuffleWindow: 3}
	one, err := NewLoader(t.Context(), store, m, PartTrain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, global := collect(t, one, 2, 0)
	for world := 2; world <= 4; world++ {
		for rank := range world {
			cfg.World, cfg.Rank = world, rank
			l, err := NewLoader(t.Context(), store, m, PartTrain, cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, bs := collect(t, l, 2, 0)
			for k, b := range bs {
				var want []int64
				for i := rank; i < len(global[k]); i += world {
					want = append(want, global[k][i])
				}
				if fmt.Sprint(b) != fmt.Sprint(want) {
					t.Fatalf("world %d rank %d batch %d: %v, want %v", world, rank, k, b, want)
				}
			}
		}
	}
}

func TestLoaderSequential(t *testing.T) {
	store, m, _ := testDataset(t, 20, 100)
	l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{World: 1, BatchSize: 6, Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := collect(t, l, 0, 0)
	if !slices.IsSorted(rows) || len(rows) != 20 {
		t.Fatalf("sequential order %v", rows)
	}
}

// corruptShard flips one byte of a shard in the file store.
func corruptShard(t *testing.T, store storage.Store, sha string) {
	t.Helper()
	path := filepath.Join(store.(*storage.FileStore).Root(), filepath.FromSlash(storage.BlobKey(sha)))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptShard(t *testing.T) {
	store, m, _ := testDataset(t, 40, 100)
	if err := Verify(t.Context(), store, m); err != nil {
		t.Fatalf("verify intact dataset: %v", err)
	}
	bad := m.Split.Train.Shards[2].SHA256
	corruptShard(t, store, bad)
	err := Verify(t.Context(), store, m)
	var se *ShardError
	if !errors.As(err, &se) || se.SHA256 != bad || se.Split != PartTrain || se.Index != 2 || !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("verify: err = %v, want a ShardError naming train shard 2 %s", err, bad)
	}
	l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{World: 1, BatchSize: 4, Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	it, err := l.Epoch(0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for {
		_, ok, err := it.Next()
		if err != nil {
			if !strings.Contains(err.Error(), bad) || !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("loader error %v does not name shard %s", err, bad)
			}
			if _, _, again := it.Next(); again == nil {
				t.Fatal("the error did not stick")
			}
			return
		}
		if !ok {
			t.Fatal("epoch ended without reporting the corrupt shard")
		}
	}
}

// TestLoaderEarlyClose stops after one batch with many shards still to
// fetch; Close must return (the producer is blocked on a full channel).
func TestLoaderEarlyClose(t *testing.T) {
	store, m, _ := testDataset(t, 200, 40)
	l, err := NewLoader(t.Context(), store, m, PartTrain, LoaderConfig{World: 1, BatchSize: 2, Prefetch: 1, ShuffleWindow: 1, CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		it, err := l.Epoch(0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := it.Next(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = it.Close(); _ = it.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not return")
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	l2, err := NewLoader(ctx, store, m, PartTrain, LoaderConfig{World: 1, BatchSize: 2, CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	it, err := l2.Epoch(0)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, ok, err := it.Next()
		if err != nil {
			break // cancelled fetch surfaces as an error
		}
		if !ok {
			break // or everything was already prefetched
		}
	}
	_ = it.Close()
}

func TestSweepOnlyNewShards(t *testing.T) {
	store, m, w := testDataset(t, 20, 100)
	// A second writer sees every shard already stored: it uploads nothing new.
	w2, err := NewWriter(WriterConfig{Store: store, TargetBytes: 100, FeatureShape: []int{testFeatures}, Classes: 3, Subgroups: []string{"site"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := &Records{Subgroups: [][]int32{nil}}
	for i := range 20 {
		recs.X = append(recs.X, float32(i), 0, -1)
		recs.Y = append(recs.Y, int32(i%3))
		recs.Subgroups[0] = append(recs.Subgroups[0], int32(i%2))
	}
	if _, err := w2.WritePart(t.Context(), PartTrain, recs); err != nil {
		t.Fatal(err)
	}
	if len(w2.Uploaded()) != 0 {
		t.Fatalf("second writer claims %d new uploads of existing shards", len(w2.Uploaded()))
	}
	if left, err := Sweep(t.Context(), store, w.Uploaded()); err != nil || len(left) != 0 {
		t.Fatalf("sweep: %v left, %v", left, err)
	}
	if err := Verify(t.Context(), store, m); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("verify after sweep: %v, want not found", err)
	}
}

// FuzzParseManifest: no input panics, and what parses re-encodes to itself.
func FuzzParseManifest(f *testing.F) {
	m := &Manifest{
		Version: ManifestVersion, Name: "f", Created: time.Unix(0, 0).UTC(),
		Schema: Schema{Kind: KindImage, FeatureShape: []int{1, 2, 2}, Classes: []string{"a", "b"}},
		Gate:   &gate.Report{Passed: true, Findings: []gate.Finding{}},
		Split: Split{Train: Part{Records: 1, LabelCounts: []int64{1, 0}, Shards: []ShardRef{{
			SHA256: strings.Repeat("ab", 32), Size: 100, Records: 1, LabelCounts: []int64{1, 0}}}},
			Validation: Part{LabelCounts: []int64{0, 0}}, Test: Part{LabelCounts: []int64{0, 0}}},
		Stats: FeatureStats{Axis: AxisChannel, Mean: []float64{0.5}, Std: []float64{0.1}},
	}
	canon, err := m.Canonical()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(canon)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"schema":{"feature_shape":[99999999,99999999]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		again, err := m.Canonical()
		if err != nil || string(again) != string(data) {
			t.Fatalf("parsed manifest does not re-encode to its input: %v", err)
		}
	})
}
