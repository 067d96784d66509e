package loop

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// checkpointedRanks trains spec on world ranks (goroutines joined over loopback, as in
// the data-parallel tests) with rank 0 writing checkpoints, and returns every
// checkpoint the attempt committed, loaded and verified.
func checkpointedRanks(t testing.TB, spec *experiments.Spec, world int, dataFor func(rank int) (*Data, error)) []*checkpoint.Loaded {
	t.Helper()
	store := newStore(t)
	cps := attemptCheckpoints(t, spec, world, store, dataFor, nil)
	if len(cps) < 3 {
		t.Fatalf("want at least 3 checkpoints, the %d-rank run committed %d", world, len(cps))
	}
	return cps
}

// attemptCheckpoints runs one attempt of world ranks against store and returns the
// checkpoints it committed, loaded and verified.
func attemptCheckpoints(t testing.TB, spec *experiments.Spec, world int, store storage.Store, dataFor func(rank int) (*Data, error), mutate func(*Config)) []*checkpoint.Loaded {
	t.Helper()
	results, _ := runRanksInto(t, spec, world, store, dataFor, mutate)
	var cps []*checkpoint.Loaded
	for _, rec := range results[0].Checkpoints {
		l, err := checkpoint.Load(t.Context(), store, rec.ManifestSHA)
		if err != nil {
			t.Fatal(err)
		}
		if l.Manifest.WorldSize != world {
			t.Fatalf("checkpoint at step %d records world size %d, the attempt had %d", rec.Step, l.Manifest.WorldSize, world)
		}
		cps = append(cps, l)
	}
	return cps
}

func sameData(d *Data) func(int) (*Data, error) { return func(int) (*Data, error) { return d, nil } }

// TestReplayDataParallelRun replays every consecutive pair of checkpoints of two- and
// three-rank runs, and the whole run from its first checkpoint to its last, bit for
// bit with the recorded world size.
func TestReplayDataParallelRun(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	spec.Training.Epochs = 4 // 52 steps
	spec.Checkpoint.EverySteps = 10
	for _, world := range []int{2, 3} {
		t.Run(fmt.Sprintf("world=%d", world), func(t *testing.T) {
			cps := checkpointedRanks(t, spec, world, sameData(data))
			pairs := [][2]*checkpoint.Loaded{{cps[0], cps[len(cps)-1]}}
			for i := 1; i < len(cps); i++ {
				pairs = append(pairs, [2]*checkpoint.Loaded{cps[i-1], cps[i]})
			}
			for _, p := range pairs {
				rep, err := Replay(t.Context(), spec, data, p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				if !rep.Identical || rep.Tensors == 0 || rep.WorldSize != world {
					t.Fatalf("replay %d → %d on %d ranks: %+v", rep.FromStep, rep.ToStep, world, rep)
				}
				t.Logf("replay %d → %d on %d ranks: bit-identical, %d tensors, %s", rep.FromStep, rep.ToStep, world, rep.Tensors, rep.Duration)
			}
		})
	}
}

// TestReplayDataParallelDetectsDifferences shows that replay of a two-rank run only
// matches with two ranks and untouched checkpoints: another world size sums the
// gradients in another order, and a tampered tensor is named with its index.
func TestReplayDataParallelDetectsDifferences(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	spec.Training.Epochs = 2 // 26 steps
	spec.Checkpoint.EverySteps = 10
	cps := checkpointedRanks(t, spec, 2, sameData(data))
	const tensor, index = "optimizer.adam.v.dense2.weight", 5
	if len(cps[1].Optimizer[tensor]) <= index {
		t.Fatalf("checkpoint has no %s[%d]", tensor, index)
	}
	tests := []struct {
		name   string
		world  int
		tamper func(from, to *checkpoint.Loaded)
		want   string // the tensor that must be reported first; "" for any
	}{
		{name: "one rank", world: 1},
		{name: "three ranks", world: 3},
		{name: "tampered target", world: 2, want: tensor,
			tamper: func(_, to *checkpoint.Loaded) {
				v := to.Optimizer[tensor]
				v[index] = math.Nextafter32(v[index], float32(math.Inf(1))) // one ulp
			}},
		{name: "tampered start", world: 2,
			tamper: func(from, _ *checkpoint.Loaded) { from.Params["dense1.weight"][0] += 1e-3 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := reload(t, cps[0]), reload(t, cps[1])
			if tc.tamper != nil {
				tc.tamper(from, to)
			}
			rep, err := replay(t.Context(), spec, data, from, to, tc.world)
			if err != nil {
				t.Fatal(err)
			}
			d := rep.Difference
			if rep.Identical || d == nil {
				t.Fatalf("replay on %d ranks reported bit-identity: %+v", tc.world, rep)
			}
			if tc.want != "" && (d.Tensor != tc.want || d.Index != index) {
				t.Fatalf("first difference %s[%d], want %s[%d]", d.Tensor, d.Index, tc.want, index)
			}
			t.Logf("first difference: %s[%d] replayed %v, recorded %v", d.Tensor, d.Index, d.Replayed, d.Recorded)
		})
	}
}

// reload copies a loaded checkpoint's tensors so a test can tamper with them.
func reload(t *testing.T, l *checkpoint.Loaded) *checkpoint.Loaded {
	t.Helper()
	c := *l
	m := *l.Manifest
	c.Manifest = &m
	c.Params, c.Optimizer = map[string][]float32{}, map[string][]float32{}
	for k, v := range l.Params {
		c.Params[k] = append([]float32(nil), v...)
	}
	for k, v := range l.Optimizer {
		c.Optimizer[k] = append([]float32(nil), v...)
	}
	return &c
}

// TestReplayRefusesUnreplayablePairs: checkpoints out of order or of another seed
// cannot be replayed, and say why.
func TestReplayRefusesUnreplayablePairs(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-logreg.yaml")
	spec.Training.Epochs = 1
	spec.Checkpoint.EverySteps = 4
	cps := checkpointedRanks(t, spec, 2, sameData(data))
	tests := []struct {
		name   string
		mutate func(from, to *checkpoint.Loaded)
	}{
		{"target before start", func(from, to *checkpoint.Loaded) { *from, *to = *to, *from }},
		{"same step", func(from, to *checkpoint.Loaded) { *to = *from }},
		{"another seed", func(from, _ *checkpoint.Loaded) { from.Manifest.RNG.Seed++ }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := reload(t, cps[0]), reload(t, cps[1])
			tc.mutate(from, to)
			_, err := Replay(t.Context(), spec, data, from, to)
			if !errors.Is(err, ErrNotReplayable) {
				t.Fatalf("got %v, want %v", err, ErrNotReplayable)
			}
			t.Log(err)
		})
	}
}

// TestReplayAcrossElasticRestart: a three-rank attempt stops at step 25 (as when a
// worker dies), a two-rank attempt resumes from its last checkpoint; the checkpoints
// on either side of the restart replay bit-identically on the two ranks that took
// those steps, and a pair spanning steps of both attempts does not.
func TestReplayAcrossElasticRestart(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	spec.Training.Epochs = 4 // 52 steps
	spec.Checkpoint.EverySteps = 10
	store := newStore(t)
	before := attemptCheckpoints(t, spec, 3, store, sameData(data), func(c *Config) { c.StopAfterStep = 25 })
	after := attemptCheckpoints(t, spec, 2, store, sameData(data), func(c *Config) { c.Resume = true })
	if len(before) < 2 || len(after) < 2 || before[len(before)-1].Manifest.Cursor.Step != 25 || after[0].Manifest.Cursor.Step != 30 {
		t.Fatalf("want checkpoints …, 20, 25 on three ranks and 30, … on two; have %d and %d", len(before), len(after))
	}
	tests := []struct {
		name      string
		from, to  *checkpoint.Loaded
		identical bool
	}{
		{"three ranks then two", before[len(before)-1], after[0], true},
		{"two ranks", after[0], after[len(after)-1], true},
		{"three ranks", before[0], before[len(before)-1], true},
		{"spanning both attempts", before[len(before)-2], after[0], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Replay(t.Context(), spec, data, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Identical != tc.identical || rep.WorldSize != tc.to.Manifest.WorldSize {
				t.Fatalf("replay %d → %d on %d ranks: identical %v, want %v (%+v)", rep.FromStep, rep.ToStep, rep.WorldSize, rep.Identical, tc.identical, rep.Difference)
			}
		})
	}
}

// TestReplayIngestedDataParallelRun replays a two-rank run that streamed its shards
// through the loader, given the data as one rank loads it (as the CLI does): every
// replaying rank opens its own stride of the shards.
func TestReplayIngestedDataParallelRun(t *testing.T) {
	store, manifest, spec := ingestWDBC(t)
	spec.Training.Epochs = 2
	spec.Checkpoint.EverySteps = 5
	load := func(rank, world int) (*Data, error) {
		return LoadIngested(t.Context(), store, manifest, spec.Training.Seed, spec.Training.BatchSize, rank, world)
	}
	cps := checkpointedRanks(t, spec, 2, func(r int) (*Data, error) { return load(r, 2) })
	data, err := load(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]*checkpoint.Loaded{{cps[0], cps[1]}, {cps[1], cps[len(cps)-1]}} {
		rep, err := Replay(t.Context(), spec, data, p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Identical || rep.WorldSize != 2 {
			t.Fatalf("replay %d → %d: %+v", rep.FromStep, rep.ToStep, rep)
		}
	}
}

// BenchmarkReplay100StepsTwoRanks times the replay of 100 steps of a two-rank WDBC
// run (checkpoints at steps 4 and 104).
func BenchmarkReplay100StepsTwoRanks(b *testing.B) {
	spec, data := loadSpec(b, "wdbc-mlp.yaml")
	spec.Training.Epochs = 9 // 117 steps
	spec.Checkpoint.EverySteps = 4
	var from, to *checkpoint.Loaded
	for _, l := range checkpointedRanks(b, spec, 2, sameData(data)) {
		switch l.Manifest.Cursor.Step {
		case 4:
			from = l
		case 104:
			to = l
		}
	}
	if from == nil || to == nil {
		b.Fatal("no checkpoints at steps 4 and 104")
	}
	for b.Loop() {
		rep, err := Replay(b.Context(), spec, data, from, to)
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Identical {
			b.Fatalf("not bit-identical: %+v", rep.Difference)
		}
	}
}
