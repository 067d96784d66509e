package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
)

func testState(t *testing.T, step int64) *State {
	t.Helper()
	net, err := models.NewNetwork(models.Options{Architecture: "mlp", InputShape: []int{4}, Hidden: []int{3}, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	params := models.InitParams(net, uint64(step))
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		t.Fatal(err)
	}
	return &State{
		Experiment: "exp", Cursor: Cursor{Step: step, Epoch: 1, BatchInEpoch: 2, OptimizerSteps: step},
		RNG: RNG{Algorithm: "pcg", Seed: 42}, Metrics: map[string]float64{"val_auroc": 0.9}, WorldSize: 1,
		Network: net, Params: CloneTensors(params), Optimizer: CloneTensors(opt.State()),
		DatasetHash: strings.Repeat("d", 64), SpecHash: strings.Repeat("s", 64), CodeVersion: "test",
	}
}

func fileStore(t *testing.T) *storage.FileStore {
	t.Helper()
	s, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	store := fileStore(t)
	st := testState(t, 10)
	m, sha, err := Save(t.Context(), store, st, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(t.Context(), store, sha)
	if err != nil {
		t.Fatal(err)
	}
	if l.Manifest.Cursor != st.Cursor || l.Manifest.RNG != st.RNG || len(m.Blobs) != 2 {
		t.Fatalf("manifest %+v does not match state %+v", l.Manifest, st)
	}
	for _, p := range st.Params {
		got := l.Params[p.Name]
		if !equalBits(got, p.Data) {
			t.Fatalf("parameter %s changed in the round trip", p.Name)
		}
	}
	for _, p := range st.Optimizer {
		if !equalBits(l.Optimizer[p.Name], p.Data) {
			t.Fatalf("optimizer state %s changed in the round trip", p.Name)
		}
	}
}

// TestLoadNamesCorruptBlob: a flipped byte or a truncation of a blob fails loading
// with an error naming the blob.
func TestLoadNamesCorruptBlob(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] }},
	} {
		t.Run(damage.name, func(t *testing.T) {
			store := fileStore(t)
			m, sha, err := Save(t.Context(), store, testState(t, 3), time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := m.Blob("optimizer")
			rewrite(t, store, storage.BlobKey(ref.SHA256), damage.fn)
			_, err = Load(t.Context(), store, sha)
			if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), ref.SHA256) || !strings.Contains(err.Error(), "optimizer") {
				t.Fatalf("error %v: want ErrCorrupt naming the optimizer blob %s", err, ref.SHA256)
			}
		})
	}
}

func TestDecodeManifestRejects(t *testing.T) {
	good, err := (&Manifest{FormatVersion: FormatVersion, Experiment: "e"}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"not json":       "{",
		"future version": `{"format_version": 99, "experiment": "e"}`,
		"no experiment":  `{"format_version": 1}`,
		"negative step":  `{"format_version": 1, "experiment": "e", "cursor": {"step": -1}}`,
		"no blobs":       string(good),
		"bad blob hash":  `{"format_version": 1, "experiment": "e", "blobs": [{"name": "params", "sha256": "zz"}, {"name": "optimizer", "sha256": "zz"}]}`,
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeManifest([]byte(input), "m.json")
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "m.json") {
				t.Fatalf("error %v: want ErrMalformed naming m.json", err)
			}
		})
	}
}

func FuzzDecodeManifest(f *testing.F) {
	store, _ := storage.NewFileStore(f.TempDir())
	st := &State{Experiment: "exp", Network: models.Network{Architecture: "logreg", Classes: 2, Layers: []models.Layer{{Op: models.OpDense}}}}
	if m, _, err := Save(context.Background(), store, st, time.Unix(0, 0)); err == nil {
		data, _ := m.Encode()
		f.Add(data)
	}
	f.Add([]byte(`{"format_version": 1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data, "fuzz")
		if err == nil && (m.Experiment == "" || len(m.Blobs) < 2) {
			t.Fatalf("accepted an incomplete manifest: %+v", m)
		}
	})
}

// slowStore delays every Put, to show that the writer applies back-pressure.
type slowStore struct {
	storage.Store
	delay time.Duration
}

func (s slowStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	time.Sleep(s.delay)
	return s.Store.Put(ctx, key, r, size)
}

// TestWriterOneInFlight: a second Submit waits for the first checkpoint to be
// committed, and every submitted checkpoint is committed in order.
func TestWriterOneInFlight(t *testing.T) {
	base := fileStore(t)
	store := slowStore{Store: base, delay: 20 * time.Millisecond}
	ledger := StoreLedger{Store: base}
	var (
		mu        sync.Mutex // the callback runs on the writer's goroutine
		committed []int64
	)
	w := NewWriter(store, ledger, func(r Record) { mu.Lock(); committed = append(committed, r.Step); mu.Unlock() })
	done := func() int { mu.Lock(); defer mu.Unlock(); return len(committed) }
	start := time.Now()
	if err := w.Submit(t.Context(), testState(t, 1)); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 50*time.Millisecond {
		t.Fatal("the first Submit blocked although nothing was in flight")
	}
	if err := w.Submit(t.Context(), testState(t, 2)); err != nil {
		t.Fatal(err)
	}
	if n := done(); n < 1 {
		t.Fatalf("second Submit returned with %d checkpoints committed, want the first one done", n)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	records, err := ledger.List(t.Context(), "exp")
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || records[0].Step != 1 || records[1].Step != 2 || done() != 2 {
		t.Fatalf("ledger %+v, callbacks %v: want steps 1 and 2", records, committed)
	}
}

// failingStore fails every Put: nothing may be committed.
type failingStore struct{ storage.Store }

func (failingStore) Put(context.Context, string, io.Reader, int64) error {
	return errors.New("disk full")
}

func TestWriterFailureCommitsNothing(t *testing.T) {
	base := fileStore(t)
	ledger := StoreLedger{Store: base}
	w := NewWriter(failingStore{base}, ledger, nil)
	if err := w.Submit(t.Context(), testState(t, 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush error %v, want the store's failure", err)
	}
	if err := w.Submit(t.Context(), testState(t, 2)); err == nil {
		t.Fatal("a broken writer accepted another checkpoint")
	}
	records, _ := ledger.List(t.Context(), "exp")
	if len(records) != 0 {
		t.Fatalf("a failed checkpoint was committed: %+v", records)
	}
}

func rewrite(t *testing.T, store storage.Store, key string, fn func([]byte) []byte) {
	t.Helper()
	rc, err := store.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	data = fn(data)
	if err := store.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
