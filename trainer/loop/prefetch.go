package loop

import (
	"errors"
	"fmt"
	"sync"

	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/models"
)

// prefetchDepth is how many assembled batches may wait ahead of the step loop.
const prefetchDepth = 2

// prefetchEpoch assembles the next batches (records gathered from the shards,
// standardised, weighted, padded) on its own goroutine while the step runs, so the
// step loop only swaps buffers: a batch's assembly runs in the step's idle time on
// the other core (its single-threaded parts), and nothing is allocated per step.
type prefetchEpoch struct {
	ready chan prefetched
	free  chan *models.Batch
	done  chan struct{}
	it    *shards.EpochIter
	wg    sync.WaitGroup
	once  sync.Once
	err   error // the first failure, returned by every later Next
}

// prefetched is one assembled batch, or why there is none.
type prefetched struct {
	b          *models.Batch
	globalRows int
	err        error
}

func startPrefetch(it *shards.EpochIter, pre *models.Preprocess, width, rows int) *prefetchEpoch {
	p := &prefetchEpoch{ready: make(chan prefetched, prefetchDepth), free: make(chan *models.Batch, prefetchDepth+1),
		done: make(chan struct{}), it: it}
	for range prefetchDepth {
		p.free <- &models.Batch{X: make([]float32, rows*width), Labels: make([]int32, rows), Weights: make([]float32, rows)}
	}
	p.wg.Add(1)
	go p.produce(pre)
	return p
}

func (p *prefetchEpoch) produce(pre *models.Preprocess) {
	defer p.wg.Done()
	var sb shards.Batch
	for {
		var b *models.Batch
		select {
		case b = <-p.free:
		case <-p.done:
			return
		}
		r := prefetched{b: b}
		ok, err := p.it.NextInto(&sb)
		switch {
		case err != nil:
			r.err = err
		case !ok:
			r.err = errors.New("the loader's epoch ended before the step loop's")
		case len(sb.Y) > len(b.Labels):
			r.err = fmt.Errorf("loader gave %d rows, the graph takes %d", len(sb.Y), len(b.Labels))
		default:
			r.globalRows = fillFromLoader(b, &sb, pre)
		}
		select {
		case p.ready <- r:
		case <-p.done:
			return
		}
		if r.err != nil {
			return
		}
	}
}

// fillFromLoader copies the loader's rows into b, standardised, each weighted by one over the
// step's global row count; rows past them are zero with weight zero.
func fillFromLoader(b *models.Batch, sb *shards.Batch, pre *models.Preprocess) int {
	n := copy(b.X, sb.X)
	clear(b.X[n:])
	pre.Apply(b.X[:n])
	w := 1 / float32(sb.GlobalN)
	for i := range b.Labels {
		if i < len(sb.Y) {
			b.Labels[i], b.Weights[i] = sb.Y[i], w
		} else {
			b.Labels[i], b.Weights[i] = 0, 0
		}
	}
	return sb.GlobalN
}

// Next swaps the next assembled batch into b; b's previous buffers go back to the
// producer, which is safe because the step that read them has returned by now.
func (p *prefetchEpoch) Next(b *models.Batch) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	r := <-p.ready
	if r.err != nil {
		p.err = r.err
		return 0, r.err
	}
	if len(b.X) != len(r.b.X) || len(b.Labels) != len(r.b.Labels) {
		p.err = fmt.Errorf("the step loop's batch holds %d rows of %d values, the loader's %d of %d", len(b.Labels), len(b.X)/max(len(b.Labels), 1), len(r.b.Labels), len(r.b.X)/max(len(r.b.Labels), 1))
		return 0, p.err
	}
	*b, *r.b = *r.b, *b
	p.free <- r.b
	return r.globalRows, nil
}

// Close stops the producer and the shard fetching behind it.
func (p *prefetchEpoch) Close() {
	p.once.Do(func() {
		close(p.done)
		_ = p.it.Close() // ends a NextInto waiting for a shard
		p.wg.Wait()
	})
}
