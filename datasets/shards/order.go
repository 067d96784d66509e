package shards

import (
	"fmt"
	"math/rand/v2"
)

// epochPlan is the order of one split's records in one epoch. See Loader
// for the definition.
type epochPlan struct {
	shardOrder []int   // shard indices in epoch order (σ)
	windows    []plWin // consecutive groups of shardOrder
	total      int64   // records in the split
	steps      int     // global batches this epoch
}

// plWin is one shuffle window: shardOrder[first:last] and the positions
// [offset, offset+records) of the epoch sequence they fill.
type plWin struct {
	first, last int
	offset      int64
	records     int64
}

// stream is the PCG stream of the epoch's draw i (0: shard order; w+1:
// window w), so that a rank can draw any window without the others.
func stream(epoch int, i int) uint64 { return uint64(epoch)<<32 | uint64(uint32(i)) }

func planEpoch(counts []int64, cfg LoaderConfig, epoch int) (*epochPlan, error) {
	if epoch < 0 || epoch >= 1<<31 {
		return nil, fmt.Errorf("%w: epoch %d out of [0, 2^31)", ErrConfig, epoch)
	}
	k := len(counts)
	p := &epochPlan{}
	if cfg.Sequential {
		p.shardOrder = make([]int, k)
		for i := range p.shardOrder {
			p.shardOrder[i] = i
		}
	} else {
		p.shardOrder = rand.New(rand.NewPCG(cfg.Seed, stream(epoch, 0))).Perm(k)
	}
	var total int64
	for first := 0; first < k; first += cfg.ShuffleWindow {
		w := plWin{first: first, last: min(first+cfg.ShuffleWindow, k), offset: total}
		for _, s := range p.shardOrder[w.first:w.last] {
			w.records += counts[s]
		}
		total += w.records
		p.windows = append(p.windows, w)
	}
	p.total = total
	p.steps = int((total + int64(cfg.BatchSize) - 1) / int64(cfg.BatchSize))
	return p, nil
}

// windowPerm is the order of window w's records: entry j is the index,
// within the concatenation of the window's shards in shardOrder, of the
// record at position offset+j.
func windowPerm(cfg LoaderConfig, epoch, w int, records int64) []int {
	if cfg.Sequential {
		perm := make([]int, records)
		for i := range perm {
			perm[i] = i
		}
		return perm
	}
	return rand.New(rand.NewPCG(cfg.Seed, stream(epoch, w+1))).Perm(int(records))
}

// windowAt returns the index of the window holding position pos.
func (p *epochPlan) windowAt(pos int64) int {
	for i, w := range p.windows {
		if pos < w.offset+w.records {
			return i
		}
	}
	return len(p.windows)
}
