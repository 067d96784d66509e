package shards

import (
	"context"
	"fmt"
	"sync"
)

// EpochIter yields one rank's batches of one epoch. Close it when done,
// also when stopping early; it is not safe for concurrent use.
type EpochIter struct {
	l      *Loader
	plan   *epochPlan
	epoch  int
	step   int
	err    error
	cancel context.CancelFunc
	done   sync.WaitGroup
	shards chan fetched

	// The current window: its decoded shards in σ order, their cumulative
	// record counts and the window's permutation.
	win     int
	winData []*decoded
	winCum  []int64
	winPerm []int
}

// fetched is one decoded shard (or the error fetching it), in the order
// the producer walks the windows.
type fetched struct {
	window int
	shard  *decoded
	err    error
}

// produce fetches and decodes the shards of windows [first, last) in order,
// at most Prefetch ahead of the consumer.
func (it *EpochIter) produce(ctx context.Context, first, last int) {
	defer it.done.Done()
	defer close(it.shards)
	for w := first; w < last; w++ {
		win := it.plan.windows[w]
		for _, idx := range it.plan.shardOrder[win.first:win.last] {
			d, err := it.l.shard(ctx, idx)
			select {
			case it.shards <- fetched{window: w, shard: d, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}
}

// Step is the index of the batch Next will return.
func (it *EpochIter) Step() int { return it.step }

// Steps is the number of batches in the epoch.
func (it *EpochIter) Steps() int { return it.plan.steps }

// Next returns the next batch; ok is false after the last one. A failed
// shard fetch (missing, corrupt, not matching the manifest) is returned as
// an error naming the shard, here and on every later call.
func (it *EpochIter) Next() (Batch, bool, error) {
	var b Batch
	ok, err := it.NextInto(&b)
	if !ok || err != nil {
		return Batch{}, ok, err
	}
	return b, true, nil
}

// NextInto is Next writing into b, whose slices are reused when their capacity
// suffices, so that a step loop assembling every batch into the same buffers
// allocates nothing per step.
func (it *EpochIter) NextInto(b *Batch) (bool, error) {
	if it.err != nil {
		return false, it.err
	}
	if it.step >= it.plan.steps {
		return false, nil
	}
	g := int64(it.l.cfg.BatchSize)
	lo := int64(it.step) * g
	hi := min(lo+g, it.plan.total)
	world, rank := int64(it.l.cfg.World), int64(it.l.cfg.Rank)
	n := 0
	if hi-lo > rank {
		n = int((hi - lo - rank + world - 1) / world)
	}
	f := it.l.feat
	b.X, b.Y, b.RowIDs = resize(b.X, n*f), resize(b.Y, n), resize(b.RowIDs, n)
	b.Subgroups = resize(b.Subgroups, len(it.l.manifest.Subgroups))
	for s := range b.Subgroups {
		b.Subgroups[s] = resize(b.Subgroups[s], n)
	}
	b.N, b.GlobalN = n, int(hi-lo)
	for i := range n {
		d, j, err := it.record(lo + rank + int64(i)*world)
		if err != nil {
			it.err = err
			return false, err
		}
		copy(b.X[i*f:(i+1)*f], d.x[j*f:(j+1)*f])
		b.Y[i] = d.y[j]
		b.RowIDs[i] = d.first + int64(j)
		for s, codes := range d.subgroups {
			b.Subgroups[s][i] = codes[j]
		}
	}
	it.step++
	return true, nil
}

// resize is v with length n, on v's storage when it is large enough.
func resize[T any](v []T, n int) []T {
	if cap(v) < n {
		return make([]T, n)
	}
	return v[:n]
}

// record returns the shard and index within it of the record at position
// pos of the epoch sequence, loading its window when needed. Positions
// must not decrease between calls.
func (it *EpochIter) record(pos int64) (*decoded, int, error) {
	w := it.plan.windowAt(pos)
	if w != it.win {
		if err := it.loadWindow(w); err != nil {
			return nil, 0, err
		}
	}
	win := it.plan.windows[w]
	q := int64(it.winPerm[pos-win.offset])
	s := 0
	for q >= it.winCum[s+1] {
		s++
	}
	return it.winData[s], int(q - it.winCum[s]), nil
}

// loadWindow receives window w's shards from the producer (skipping none:
// the producer starts at the first window the iterator needs).
func (it *EpochIter) loadWindow(w int) error {
	win := it.plan.windows[w]
	it.winData = it.winData[:0]
	it.winCum = append(it.winCum[:0], 0)
	for range win.last - win.first {
		f, ok := <-it.shards
		if !ok {
			return fmt.Errorf("loader: split %s epoch %d: shard stream ended early", it.l.split, it.epoch)
		}
		if f.err != nil {
			return f.err
		}
		if f.window != w {
			return fmt.Errorf("loader: split %s epoch %d: got a shard of window %d, want %d", it.l.split, it.epoch, f.window, w)
		}
		it.winData = append(it.winData, f.shard)
		it.winCum = append(it.winCum, it.winCum[len(it.winCum)-1]+f.shard.records)
	}
	it.winPerm = windowPerm(it.l.cfg, it.epoch, w, win.records)
	it.win = w
	return nil
}

// Close stops the background fetching and waits for it. It is safe to call
// more than once and at any point.
func (it *EpochIter) Close() error {
	it.cancel()
	for range it.shards { // unblock a producer waiting to send
	}
	it.done.Wait()
	return nil
}
