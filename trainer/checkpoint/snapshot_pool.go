package checkpoint

import (
	"sync"
	"time"
	"weak"
)

// Snapshot arrays are recycled: a 70 MB checkpoint would otherwise allocate (and
// zero) 70 MB of fresh memory on the step loop's goroutine every time, and leave as
// much garbage for the collector to chase while training runs. CloneTensors draws
// from the pool; the Writer gives a checkpoint's arrays back once it has uploaded and
// verified them. With at most one checkpoint in flight, two snapshots' worth of
// arrays suffice.
const (
	// poolMaxBytes bounds what the pool keeps (2 × 512 MiB covers a 128M-parameter
	// model with Adam); arrays beyond it are left to the garbage collector.
	poolMaxBytes = 1 << 30
	// poolIdle is how long an unused array stays: past it a finished run's buffers
	// are released rather than held for the life of the process.
	poolIdle = 3 * time.Minute
)

// snapshots is the process's pool; CloneTensors and Writer share it.
var snapshots = newSnapshotPool(poolMaxBytes, poolIdle)

// snapshotPool hands out float32 arrays and takes back only arrays it handed out: the
// issued set holds weak pointers, so an array that was never given back (a snapshot
// dropped on an error path) is still collected, and a caller's own array, passed to
// Submit, is never recycled under it.
type snapshotPool struct {
	maxBytes int64
	idle     time.Duration

	mu     sync.Mutex
	free   map[int][]freeArray // by length
	bytes  int64               // held in free
	issued map[weak.Pointer[float32]]struct{}
	timer  *time.Timer // trims idle arrays; nil when free is empty
}

type freeArray struct {
	data  []float32
	since time.Time
}

func newSnapshotPool(maxBytes int64, idle time.Duration) *snapshotPool {
	return &snapshotPool{maxBytes: maxBytes, idle: idle, free: map[int][]freeArray{}, issued: map[weak.Pointer[float32]]struct{}{}}
}

// get returns an array of n values: a recycled one, whose old contents the caller
// overwrites, or a new one.
func (p *snapshotPool) get(n int) []float32 {
	if n == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var data []float32
	if list := p.free[n]; len(list) > 0 {
		data = list[len(list)-1].data
		list[len(list)-1] = freeArray{}
		p.free[n] = list[:len(list)-1]
		p.bytes -= 4 * int64(n)
	} else {
		data = make([]float32, n)
	}
	if len(p.issued) >= issuedPruneAt {
		p.pruneIssued()
	}
	p.issued[weak.Make(&data[0])] = struct{}{}
	return data
}

// issuedPruneAt is when get clears issued entries of collected arrays (snapshots that
// were taken but never handed to a Writer), so the set cannot grow without bound.
const issuedPruneAt = 4096

func (p *snapshotPool) pruneIssued() {
	for key := range p.issued {
		if key.Value() == nil {
			delete(p.issued, key)
		}
	}
}

// put takes back an array get handed out, once nothing reads it any more. Any other
// array, or one given back twice, is ignored.
func (p *snapshotPool) put(data []float32) {
	if len(data) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	key := weak.Make(&data[0])
	if _, ok := p.issued[key]; !ok || cap(data) != len(data) {
		return
	}
	delete(p.issued, key)
	size := 4 * int64(len(data))
	if p.bytes+size > p.maxBytes {
		return
	}
	p.free[len(data)] = append(p.free[len(data)], freeArray{data: data, since: time.Now()})
	p.bytes += size
	if p.timer == nil {
		p.timer = time.AfterFunc(p.idle, p.trim)
	}
}

// trim drops arrays idle for longer than p.idle, and issued entries whose array has
// been collected, then re-arms itself while anything is left to trim.
func (p *snapshotPool) trim() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cutoff := time.Now().Add(-p.idle)
	for n, list := range p.free {
		kept := list[:0]
		for _, a := range list {
			if a.since.After(cutoff) {
				kept = append(kept, a)
			} else {
				p.bytes -= 4 * int64(n)
			}
		}
		clear(list[len(kept):])
		if len(kept) == 0 {
			delete(p.free, n)
		} else {
			p.free[n] = kept
		}
	}
	p.pruneIssued()
	p.timer = nil
	if len(p.free) > 0 {
		p.timer = time.AfterFunc(p.idle, p.trim)
	}
}

// held reports the number of free arrays and their bytes (for tests).
func (p *snapshotPool) held() (arrays int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, list := range p.free {
		arrays += len(list)
	}
	return arrays, p.bytes
}
