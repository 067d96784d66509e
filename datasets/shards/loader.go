package shards

import (
	"context"
	"fmt"
	"sync"

	"github.com/dxtrain/dxtrain/storage"
)

// Loader defaults.
const (
	DefaultPrefetch      = 2
	DefaultShuffleWindow = 4
	DefaultCacheBytes    = 512 << 20
)

// LoaderConfig says which part of each epoch a rank reads and how.
type LoaderConfig struct {
	Rank, World int
	Seed        uint64
	// BatchSize is the global batch: the records all World ranks together
	// take in one step. Each rank gets about BatchSize/World of them.
	BatchSize int
	// Prefetch is how many decoded shards may wait ahead of the step loop
	// (0: DefaultPrefetch).
	Prefetch int
	// ShuffleWindow is how many shards are shuffled together (0:
	// DefaultShuffleWindow). It is part of the order's definition: every
	// rank must use the same value, with the same Seed.
	ShuffleWindow int
	// Sequential keeps the split's own order (for evaluation): shards in
	// manifest order, records in row order, still divided among ranks.
	Sequential bool
	// CacheBytes: when the split's shards total at most this many bytes,
	// decoded shards are kept across epochs (0: DefaultCacheBytes, <0: never).
	CacheBytes int64
}

func (c *LoaderConfig) fill() error {
	if c.World < 1 || c.Rank < 0 || c.Rank >= c.World {
		return fmt.Errorf("%w: rank %d of world %d", ErrConfig, c.Rank, c.World)
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("%w: batch size %d", ErrConfig, c.BatchSize)
	}
	if c.Prefetch == 0 {
		c.Prefetch = DefaultPrefetch
	}
	if c.ShuffleWindow == 0 {
		c.ShuffleWindow = DefaultShuffleWindow
	}
	if c.Prefetch < 1 || c.ShuffleWindow < 1 {
		return fmt.Errorf("%w: prefetch %d, shuffle window %d", ErrConfig, c.Prefetch, c.ShuffleWindow)
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = DefaultCacheBytes
	}
	return nil
}

// Loader reads one split of a dataset for one rank.
//
// The order of epoch e is defined from (Seed, e, ShuffleWindow) alone, the
// same on every rank and for every world size:
//
//  1. σ = rand.New(rand.NewPCG(Seed, e<<32)).Perm(K) orders the split's K
//     shards.
//  2. σ is cut into windows of ShuffleWindow consecutive shards. Window w's
//     records, concatenated in σ order (each shard's records in row order),
//     are permuted by rand.New(rand.NewPCG(Seed, e<<32 | w+1)).Perm(L_w).
//  3. The epoch sequence P is the windows' permuted records in window
//     order: a permutation of all N records of the split (uniform over all
//     N! when K ≤ ShuffleWindow).
//  4. Step k's global batch is P[k·G : min((k+1)·G, N)], G = BatchSize;
//     there are Steps = ⌈N/G⌉ steps.
//  5. Rank r of W takes positions r, r+W, r+2W, … of each global batch, so
//     the ranks' parts are disjoint and together cover every record exactly
//     once per epoch, and W ranks see exactly the global batches one rank
//     with the same BatchSize sees (the trainer's rankRows stride): a run
//     resumed on another world size continues the same sequence.
//
// Every rank yields exactly Steps batches. Only the last global batch may
// be short; when it has fewer than W records some ranks' last batch is
// empty (N = 0) and they must still join that step's all-reduce, weighting
// by N (Batch.GlobalN is the step's total). Every rank reads every shard of
// the split, one window (plus Prefetch shards) in memory at a time.
type Loader struct {
	ctx      context.Context // bounds every fetch of every epoch
	store    storage.Store
	manifest *Manifest
	split    string
	part     *Part
	cfg      LoaderConfig
	feat     int
	counts   []int64

	mu    sync.Mutex
	cache map[int]*decoded // by shard index; nil when not caching
}

// NewLoader checks the configuration against the manifest's split. ctx
// bounds all fetching for the loader's lifetime.
func NewLoader(ctx context.Context, store storage.Store, m *Manifest, split string, cfg LoaderConfig) (*Loader, error) {
	if err := cfg.fill(); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	part, err := m.Split.Part(split)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	l := &Loader{ctx: ctx, store: store, manifest: m, split: split, part: part, cfg: cfg, feat: m.Schema.FeatureLen()}
	var total int64
	for _, s := range part.Shards {
		l.counts = append(l.counts, s.Records)
		total += s.Size
	}
	if cfg.CacheBytes > 0 && total <= cfg.CacheBytes {
		l.cache = map[int]*decoded{}
	}
	return l, nil
}

// Records is the number of records in the split.
func (l *Loader) Records() int64 { return l.part.Records }

// FeatureLen is the number of float32 values per record.
func (l *Loader) FeatureLen() int { return l.feat }

// FeatureShape is the shape of one record's features.
func (l *Loader) FeatureShape() []int { return append([]int(nil), l.manifest.Schema.FeatureShape...) }

// StepsPerEpoch is how many batches every rank yields per epoch.
func (l *Loader) StepsPerEpoch() int {
	p, _ := planEpoch(l.counts, l.cfg, 0)
	return p.steps
}

// Batch is one rank's records for one step. X is row-major N × FeatureLen.
type Batch struct {
	X      []float32
	Y      []int32
	RowIDs []int64 // each record's position in the split
	// Subgroups holds, per manifest subgroup, each record's code.
	Subgroups [][]int32
	N         int
	GlobalN   int // records of this step across all ranks
}

// Epoch starts epoch e from its first batch.
func (l *Loader) Epoch(e int) (*EpochIter, error) { return l.EpochFrom(e, 0) }

// EpochFrom starts epoch e at batch k (0 ≤ k ≤ StepsPerEpoch), for resuming
// mid-epoch: the batches are exactly those a fresh Epoch(e) yields from its
// k-th on. The iterator must be closed.
func (l *Loader) EpochFrom(e, k int) (*EpochIter, error) {
	plan, err := planEpoch(l.counts, l.cfg, e)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if k < 0 || k > plan.steps {
		return nil, fmt.Errorf("loader: %w: start batch %d out of 0..%d", ErrConfig, k, plan.steps)
	}
	ctx, cancel := context.WithCancel(l.ctx)
	it := &EpochIter{l: l, plan: plan, epoch: e, step: k, cancel: cancel, win: -1,
		shards: make(chan fetched, l.cfg.Prefetch)}
	it.done.Add(1)
	go it.produce(ctx, plan.windowAt(int64(k)*int64(l.cfg.BatchSize)), len(plan.windows))
	return it, nil
}
