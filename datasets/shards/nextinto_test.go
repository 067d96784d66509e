package shards

import (
	"reflect"
	"testing"
)

// TestNextIntoReusesBuffers checks that NextInto gives the batches Next gives, short
// last batch and subgroups included, while filling the same storage every step.
func TestNextIntoReusesBuffers(t *testing.T) {
	store, m, _ := testDataset(t, 103, 100)
	cfg := LoaderConfig{Rank: 1, World: 2, Seed: 3, BatchSize: 10}
	open := func() *EpochIter {
		l, err := NewLoader(t.Context(), store, m, PartTrain, cfg)
		if err != nil {
			t.Fatal(err)
		}
		it, err := l.Epoch(1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = it.Close() })
		return it
	}
	fresh, reused := open(), open()
	var b Batch
	var prev *float32 // the storage of the previous full batch
	for step := 0; ; step++ {
		want, ok, err := fresh.Next()
		if err != nil {
			t.Fatal(err)
		}
		got, err := reused.NextInto(&b)
		if err != nil {
			t.Fatal(err)
		}
		if got != ok {
			t.Fatalf("step %d: NextInto ok %v, Next ok %v", step, got, ok)
		}
		if !ok {
			break
		}
		if !reflect.DeepEqual(b, want) {
			t.Fatalf("step %d: NextInto gave %+v, Next %+v", step, b, want)
		}
		if prev != nil && prev != &b.X[0] {
			t.Fatalf("step %d: the batch was given new storage", step)
		}
		prev = &b.X[0]
	}
}
