package kernels

import (
	"sync"
	"sync/atomic"
)

// gemmCall is one Sgemm call shared by the goroutines working on it; pooled so that steady
// state allocates nothing.
type gemmCall struct {
	gemmArgs
	wg sync.WaitGroup
	// The output is cut into parts tiles along one side; participants claim them in order
	// through next, so a goroutine that the OS preempts holds up only its current tile.
	splitM     bool
	size, unit int
	panels     int
	parts      int
	next       atomic.Int64
}

// tilesPerThread is how many tiles each goroutine gets on average: more than one balances
// the load on a shared machine, few enough that tiles stay large.
const tilesPerThread = 4

var callPool = sync.Pool{New: func() any { return new(gemmCall) }}

// helper is a parallel operation that goroutines can join: help claims and computes parts
// until none is left. Implementations are pooled structs, so a job allocates nothing.
type helper interface{ help() }

// helpJob asks a worker to help with h and then to mark done.
type helpJob struct {
	h    helper
	done *sync.WaitGroup
}

var (
	jobs      = make(chan helpJob, 256)
	workersMu sync.Mutex
	workers   int
)

// runParallel has the calling goroutine and helpers workers run h.help, and returns when
// all are done. Parts are claimed dynamically, so a late or preempted helper costs little.
func runParallel(h helper, done *sync.WaitGroup, helpers int) {
	ensureWorkers(helpers)
	done.Add(helpers)
	for range helpers {
		jobs <- helpJob{h: h, done: done}
	}
	h.help()
	done.Wait()
}

// ensureWorkers starts long-lived worker goroutines until there are at least n.
func ensureWorkers(n int) {
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workers < n; workers++ {
		go work()
	}
}

// work helps with any parallel operation until the process ends.
func work() {
	for j := range jobs {
		j.h.help()
		j.done.Done()
	}
}

// tile computes one tile with a pooled pack buffer.
func (g *gemmCall) tile(m0, m1, n0, n1 int) {
	buf := getBuf()
	g.runTile(buf, m0, m1, n0, n1)
	putBuf(buf)
}

// run cuts C along its longer side into tiles on micro-tile boundaries and computes them on
// up to threads goroutines, the calling one included. Cutting the longer side repacks the
// smaller operand in each tile, the cheaper of the two redundancies. Which goroutine
// computes a tile does not change its arithmetic, so results do not depend on threads.
func (g *gemmCall) run(threads int) {
	if threads < 2 || g.m*g.n*g.k < minParallelWork {
		g.tile(0, g.m, 0, g.n)
		return
	}
	g.splitM = g.m >= g.n
	g.size, g.unit = g.n, g.kern.nr
	if g.splitM {
		g.size, g.unit = g.m, g.kern.mr
	}
	g.panels = (g.size + g.unit - 1) / g.unit
	perThread := tilesPerThread
	if g.splitM && g.packB {
		perThread = 1 // every tile packs all of B: keep tiles few and tall
	}
	g.parts = min(threads*perThread, g.panels)
	g.next.Store(0)
	runParallel(g, &g.wg, min(threads, g.parts)-1)
}

// help computes unclaimed tiles until none is left.
func (g *gemmCall) help() {
	for {
		i := int(g.next.Add(1) - 1)
		if i >= g.parts {
			return
		}
		lo := min(g.size, i*g.panels/g.parts*g.unit)
		hi := min(g.size, (i+1)*g.panels/g.parts*g.unit)
		if g.splitM {
			g.tile(lo, hi, 0, g.n)
		} else {
			g.tile(0, g.m, lo, hi)
		}
	}
}
