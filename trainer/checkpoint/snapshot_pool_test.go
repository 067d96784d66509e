package checkpoint

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
)

func TestSnapshotPool(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, p *snapshotPool)
	}{
		{"recycles what it handed out", func(t *testing.T, p *snapshotPool) {
			a := p.get(8)
			p.put(a)
			if b := p.get(8); &b[0] != &a[0] {
				t.Fatal("get after put allocated a new array")
			}
		}},
		{"only by length", func(t *testing.T, p *snapshotPool) {
			a := p.get(8)
			p.put(a)
			if b := p.get(9); len(b) != 9 || &b[0] == &a[0] {
				t.Fatal("an array of another length was handed out")
			}
		}},
		{"never takes a foreign array", func(t *testing.T, p *snapshotPool) {
			own := make([]float32, 8)
			p.put(own)
			if n, _ := p.held(); n != 0 {
				t.Fatal("the pool kept an array it did not hand out")
			}
			if b := p.get(8); &b[0] == &own[0] {
				t.Fatal("a caller's array was handed out")
			}
		}},
		{"takes an array back once", func(t *testing.T, p *snapshotPool) {
			a := p.get(8)
			p.put(a)
			p.put(a)
			if n, _ := p.held(); n != 1 {
				t.Fatalf("pool holds %d arrays after a double put, want 1", n)
			}
			b, c := p.get(8), p.get(8)
			if &b[0] == &c[0] {
				t.Fatal("one array handed out twice")
			}
		}},
		{"ignores a re-sliced array", func(t *testing.T, p *snapshotPool) {
			a := p.get(8)
			p.put(a[:4])
			if n, _ := p.held(); n != 0 {
				t.Fatal("the pool kept a partial view of an array")
			}
		}},
		{"bounded in bytes", func(t *testing.T, p *snapshotPool) {
			a, b := p.get(16), p.get(16) // 64 bytes each; the test pool keeps 100
			p.put(a)
			p.put(b)
			if n, bytes := p.held(); n != 1 || bytes != 64 {
				t.Fatalf("pool holds %d arrays, %d bytes; want 1 and 64", n, bytes)
			}
		}},
		{"empty arrays are not pooled", func(t *testing.T, p *snapshotPool) {
			if a := p.get(0); a != nil {
				t.Fatalf("get(0) = %v, want nil", a)
			}
			p.put(nil)
			if n, _ := p.held(); n != 0 {
				t.Fatal("pool holds an empty array")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newSnapshotPool(100, time.Hour))
		})
	}
}

// TestSnapshotPoolReleasesIdleArrays: a finished run's buffers do not stay forever.
func TestSnapshotPoolReleasesIdleArrays(t *testing.T) {
	p := newSnapshotPool(1<<20, 20*time.Millisecond)
	p.put(p.get(8))
	if n, _ := p.held(); n != 1 {
		t.Fatalf("pool holds %d arrays, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, bytes := p.held(); n == 0 && bytes == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("idle arrays still held after 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gateStore holds every Put until open is closed, so a checkpoint stays in flight.
type gateStore struct {
	storage.Store
	open chan struct{}
}

func (g gateStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Store.Put(ctx, key, r, size)
}

// reuseState is a State of a model whose tensor sizes no other test uses, so the
// arrays in the shared pool come from this test only.
func reuseState(t *testing.T, live, opt []*models.Param, net models.Network, step int64) *State {
	t.Helper()
	return &State{Experiment: "reuse", Cursor: Cursor{Step: step}, WorldSize: 1, Network: net,
		Params: CloneTensors(live), Optimizer: CloneTensors(opt)}
}

func setAll(params []*models.Param, v float32) {
	for i, p := range params {
		for j := range p.Data {
			p.Data[j] = v + float32(i) + float32(j)*1e-3
		}
	}
}

func firstPointers(st *State) []*float32 {
	var out []*float32
	for _, p := range slices.Concat(st.Params, st.Optimizer) {
		out = append(out, &p.Data[0])
	}
	return out
}

// TestWriterReusesSnapshotsWithoutLeaking: three checkpoints with different values,
// the second snapshot taken while the first is still uploading; the third reuses a
// written snapshot's arrays. Each checkpoint verifies and loads with its own values.
func TestWriterReusesSnapshotsWithoutLeaking(t *testing.T) {
	net, err := models.NewNetwork(models.Options{Architecture: "mlp", InputShape: []int{13}, Hidden: []int{37}, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	live := models.InitParams(net, 1)
	o, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, live)
	if err != nil {
		t.Fatal(err)
	}
	opt := o.State()
	base := fileStore(t)
	gate := gateStore{Store: base, open: make(chan struct{})}
	ledger := StoreLedger{Store: base}
	w := NewWriter(gate, ledger, nil)

	want := map[int64][][]float32{} // step → expected values of params then optimizer
	expect := func(step int64) {
		for _, p := range slices.Concat(live, opt) {
			want[step] = append(want[step], slices.Clone(p.Data))
		}
	}

	setAll(live, 1)
	setAll(opt, 10)
	expect(1)
	st1 := reuseState(t, live, opt, net, 1)
	first := firstPointers(st1)
	if err := w.Submit(t.Context(), st1); err != nil {
		t.Fatal(err)
	}

	setAll(live, 2) // training goes on while checkpoint 1 is blocked in the store
	setAll(opt, 20)
	expect(2)
	st2 := reuseState(t, live, opt, net, 2)
	second := firstPointers(st2)
	for i, p := range second {
		if slices.Contains(first, p) {
			t.Fatalf("tensor %d: the second snapshot reuses an array of the checkpoint in flight", i)
		}
	}
	close(gate.open)
	if err := w.Submit(t.Context(), st2); err != nil { // waits for checkpoint 1
		t.Fatal(err)
	}

	setAll(live, 3)
	setAll(opt, 30)
	expect(3)
	st3 := reuseState(t, live, opt, net, 3)
	written := map[*float32]bool{} // arrays of equal length may be handed out in any order
	for _, p := range slices.Concat(first, second) {
		written[p] = true
	}
	for i, p := range firstPointers(st3) {
		if !written[p] {
			t.Errorf("tensor %d: the third snapshot allocated a new array instead of reusing a written one", i)
		}
	}
	if err := w.Submit(t.Context(), st3); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	records, err := ledger.List(t.Context(), "reuse")
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 {
		t.Fatalf("%d checkpoints committed, want 3", len(records))
	}
	names := slices.Concat(live, opt)
	for _, r := range records {
		l, err := Load(t.Context(), base, r.ManifestSHA)
		if err != nil {
			t.Fatalf("step %d: %v", r.Step, err)
		}
		for i, p := range names {
			got := l.Params[p.Name]
			if i >= len(live) {
				got = l.Optimizer[p.Name]
			}
			if !equalBits(got, want[r.Step][i]) {
				t.Fatalf("step %d: %s holds another checkpoint's values", r.Step, p.Name)
			}
		}
	}
}

// TestWriterLeavesCallerArraysAlone: arrays a caller built itself are never recycled
// into a later snapshot.
func TestWriterLeavesCallerArraysAlone(t *testing.T) {
	store := fileStore(t)
	w := NewWriter(store, StoreLedger{Store: store}, nil)
	st := testState(t, 1)
	own := make([]float32, len(st.Params[0].Data))
	for i := range own {
		own[i] = float32(i) + 0.5
	}
	keep := slices.Clone(own)
	st.Params[0].Data = own
	if err := w.Submit(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		clone := CloneTensors([]*models.Param{{Name: "x", Shape: []int{len(own)}, Data: make([]float32, len(own))}})
		if &clone[0].Data[0] == &own[0] {
			t.Fatal("CloneTensors handed out an array the caller owns")
		}
	}
	if !equalBits(own, keep) {
		t.Fatal("the caller's array was overwritten")
	}
}
