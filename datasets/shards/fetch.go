package shards

import (
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/safetensors"
	"github.com/dxtrain/dxtrain/storage"
)

// decoded is one shard's records in memory.
type decoded struct {
	x         []float32
	y         []int32
	subgroups [][]int32 // per manifest subgroup
	first     int64
	records   int64
}

// shard returns shard idx of the loader's split, from the cache or fetched
// (hash-checked), decoded and checked against the manifest.
func (l *Loader) shard(ctx context.Context, idx int) (*decoded, error) {
	if l.cache != nil {
		l.mu.Lock()
		d, ok := l.cache[idx]
		l.mu.Unlock()
		if ok {
			return d, nil
		}
	}
	ref := l.part.Shards[idx]
	d, err := l.fetch(ctx, ref)
	if err != nil {
		return nil, &ShardError{Split: l.split, Index: idx, SHA256: ref.SHA256, Err: err}
	}
	if l.cache != nil {
		l.mu.Lock()
		l.cache[idx] = d
		l.mu.Unlock()
	}
	return d, nil
}

func (l *Loader) fetch(ctx context.Context, ref ShardRef) (*decoded, error) {
	data, err := storage.GetBlobSized(ctx, l.store, ref.SHA256, ref.Size)
	if err != nil {
		return nil, err
	}
	return decodeShard(data, ref, l.manifest)
}

// decodeShard parses a shard and checks it against its manifest entry.
func decodeShard(data []byte, ref ShardRef, m *Manifest) (*decoded, error) {
	featureShape, classes := m.Schema.FeatureShape, len(m.Schema.Classes)
	f, err := safetensors.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	get := func(name string, shape []int) (safetensors.Tensor, error) {
		t, ok := f.Get(name)
		if !ok {
			return t, fmt.Errorf("%w: no %s tensor", ErrShard, name)
		}
		if !equalShape(t.Shape, shape) {
			return t, fmt.Errorf("%w: %s has shape %v, want %v", ErrShard, name, t.Shape, shape)
		}
		return t, nil
	}
	n := int(ref.Records)
	ft, err := get(TensorFeatures, append([]int{n}, featureShape...))
	if err != nil {
		return nil, err
	}
	lt, err := get(TensorLabels, []int{n})
	if err != nil {
		return nil, err
	}
	rt, err := get(TensorRowIDs, []int{n})
	if err != nil {
		return nil, err
	}
	d := &decoded{first: ref.FirstRow, records: ref.Records}
	if d.x, err = ft.Float32sView(); err != nil { // read-only: batches copy from it
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	if d.y, err = lt.Int32s(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	rows, err := rt.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShard, err)
	}
	for i, r := range rows {
		if r != ref.FirstRow+int64(i) {
			return nil, fmt.Errorf("%w: row id %d at record %d, want %d", ErrShard, r, i, ref.FirstRow+int64(i))
		}
	}
	for _, g := range m.Subgroups {
		st, err := get(TensorSubgroupPrefix+g.Name, []int{n})
		if err != nil {
			return nil, err
		}
		codes, err := st.Int32s()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrShard, err)
		}
		for i, c := range codes {
			if c < 0 || int(c) >= len(g.Codes) {
				return nil, fmt.Errorf("%w: record %d has subgroup %s code %d, want 0..%d", ErrShard, i, g.Name, c, len(g.Codes)-1)
			}
		}
		d.subgroups = append(d.subgroups, codes)
	}
	counts := make([]int64, classes)
	for i, y := range d.y {
		if y < 0 || int(y) >= classes {
			return nil, fmt.Errorf("%w: record %d has class %d, want 0..%d", ErrShard, i, y, classes-1)
		}
		counts[y]++
	}
	for c := range counts {
		if counts[c] != ref.LabelCounts[c] {
			return nil, fmt.Errorf("%w: %d records of class %d, the manifest says %d", ErrShard, counts[c], c, ref.LabelCounts[c])
		}
	}
	return d, nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
