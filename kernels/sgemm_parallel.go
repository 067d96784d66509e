package kernels

import "sync"

// gemmCall is one Sgemm call shared by the goroutines working on it; pooled so that steady
// state allocates nothing. The output is cut into parts tiles along one side, claimed in
// order, so a goroutine that the OS preempts holds up only its current tile.
type gemmCall struct {
	gemmArgs
	parts
	splitM     bool
	size, unit int
	panels     int
	tiles      int
}

// tilesPerThread is how many tiles each goroutine gets on average: more than one balances
// the load on a shared machine, few enough that tiles stay large.
const tilesPerThread = 4

var callPool = sync.Pool{New: func() any { return new(gemmCall) }}

// tile computes one tile with the pack buffers buf, then runs the epilogue on it.
func (g *gemmCall) tile(buf *packBuf, m0, m1, n0, n1 int) {
	g.runTile(buf, m0, m1, n0, n1)
	if g.epilogue != nil {
		g.epilogue.Apply(g.c, g.ldc, m0, m1, n0, n1)
	}
}

// run cuts C along its longer side into tiles on micro-tile boundaries and computes them on
// up to threads goroutines, the calling one included. Cutting the longer side repacks the
// smaller operand in each tile, the cheaper of the two redundancies; but see splitColumns,
// and a cut the caller forces (CutRows, CutColumns) wins over both.
// Which goroutine computes a tile does not change its arithmetic, so results do not
// depend on threads.
func (g *gemmCall) run(threads int) {
	if threads < 2 || g.m*g.n*g.k < minParallelWork {
		buf := getBuf()
		g.tile(buf, 0, g.m, 0, g.n)
		putBuf(buf)
		return
	}
	switch g.cut {
	case CutRows:
		g.splitM = true
	case CutColumns:
		g.splitM = false
	default:
		g.splitM = g.m >= g.n && !g.splitColumns(threads)
	}
	g.size, g.unit = g.n, g.kern.nr
	if g.splitM {
		g.size, g.unit = g.m, g.kern.mr
	}
	g.panels = (g.size + g.unit - 1) / g.unit
	perThread := tilesPerThread
	if g.splitM && g.packB || g.cut != CutAuto && g.rereadPerTile() > splitColumnsMaxA {
		perThread = 1 // every tile packs all of B, or streams an operand L2 cannot keep: keep tiles few
	}
	g.tiles = min(threads*perThread, g.panels)
	runParallel(g, &g.parts, g.tiles, min(threads, g.tiles)-1)
}

// splitColumnsMaxA is the largest operand, in values, that every tile may read in place:
// half of a 1 MB L2 (see splitColumns and rereadPerTile).
const splitColumnsMaxA = 128 << 10

// rereadPerTile is how many values of the other operand every tile reads in place when C
// is cut as chosen (A for a column cut, an unpacked B for a row cut). A cut the caller
// forces can make it large: the CNN's dense weight gradient, cut into rows, streams its
// 128×3136 input in every tile, and with four tiles a thread it took 600 µs, against 360
// with one.
func (g *gemmCall) rereadPerTile() int {
	switch {
	case !g.splitM:
		return g.m * g.k
	case !g.packB:
		return g.k * g.n
	}
	return 0
}

// splitColumns reports whether a product taller than wide is still better cut into
// columns: when B is packed, cutting rows makes every tile pack all of B, while cutting
// columns has each pack only its own, and re-reading A in every tile is cheap while A
// fits in cache (the MLP's second layer, 128×128×256 with W [out, in], cuts its output
// units so). With A too large to stay in cache (the CNN's 3136×128×128 before its dense
// weights became [out, in]) cutting columns was slower.
func (g *gemmCall) splitColumns(threads int) bool {
	return g.packB && g.m*g.k <= splitColumnsMaxA && g.n >= 2*threads*g.kern.nr
}

// help computes unclaimed tiles until none is left, with buf or, if it is nil, buffers
// from the free list.
func (g *gemmCall) help(t int, buf *packBuf) {
	if buf == nil {
		buf = getBuf()
		defer putBuf(buf)
	}
	for {
		i, ok := g.claim(t)
		if !ok {
			return
		}
		lo := min(g.size, i*g.panels/g.tiles*g.unit)
		hi := min(g.size, (i+1)*g.panels/g.tiles*g.unit)
		if g.splitM {
			g.tile(buf, lo, hi, 0, g.n)
		} else {
			g.tile(buf, 0, g.m, lo, hi)
		}
	}
}
