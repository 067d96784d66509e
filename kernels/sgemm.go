package kernels

import "sync"

// bestKernel is the fastest micro-kernel this CPU runs; Sgemm uses it, and narrowKernel for
// products narrower than its tile. The two compute every element with the same operations
// in the same order (TestSgemmKernelsAgree), so choosing by shape keeps results identical.
var bestKernel, narrowKernel = pickKernels(availableKernels())

// pickKernels returns the fastest kernel and the narrowest-tiled kernel of the same family
// and K block, the two conditions for bit-identical results.
func pickKernels(ks []microKernel) (best, narrow microKernel) {
	best, narrow = ks[0], ks[0]
	for _, k := range ks[1:] {
		if k.family == best.family && k.kc == best.kc && k.nr < narrow.nr {
			narrow = k
		}
	}
	return best, narrow
}

// KernelName says which SGEMM micro-kernel Sgemm uses on this CPU ("avx512", "avx2" or
// "go") for products at least as wide as its tile.
func KernelName() string { return bestKernel.name }

// minParallelWork is the m·n·k below which Sgemm stays on the calling goroutine: handing a
// tile to another goroutine costs about as much as computing a product this small.
const minParallelWork = 64 * 64 * 64

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices: op(A) is m×k, op(B)
// is k×n, C is m×n, and op transposes when transA/transB is set. lda, ldb and ldc are the
// row strides, so strided views work. When beta is zero the old C is not read (NaNs in it
// are ignored). It uses Threads() goroutines and gives bit-identical results for any number.
// Like BLAS it panics, with an error wrapping ErrShape, on sizes that do not fit the slices.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmThreads(Threads(), CutAuto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// Cut says how a parallel Sgemm divides C among its threads. Only speed depends on it:
// every element's arithmetic is the same however C is cut.
type Cut uint8

const (
	// CutAuto cuts the side gemmCall.run chooses from the shape and the packing.
	CutAuto Cut = iota
	// CutRows cuts C into bands of rows, whatever its shape: for a weight gradient
	// stored [out, in], each core then writes the rows that the optimizer's update,
	// which cuts the flat array the same way, and the next forward's column cut
	// give the same core, instead of handing them across.
	CutRows
	// CutColumns cuts C into bands of columns, whatever its shape: for a dense layer's
	// forward, each core then computes the output units whose weight rows it updates.
	CutColumns
)

// sgemmThreads is SgemmCut on up to threads goroutines.
func sgemmThreads(threads int, cut Cut, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	if f := sgemmObserver.Load(); f != nil {
		(*f)(GemmShape{M: m, N: n, K: k, TransA: transA, TransB: transB, Threads: threads, Cut: cut})
	}
	if m > 0 && k > 0 && alpha != 0 && gemvFits(transA, m, n, k, ldc, ep) {
		if err := checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
			panic(err)
		}
		if transB {
			ldb = 1 // one column of op(B) is a contiguous run of b either way
		}
		gemvColumn(m, k, alpha, a, lda, b, ldb, beta, c)
		return
	}
	kern := &bestKernel
	if n < kern.nr {
		kern = &narrowKernel
	}
	sgemmWith(kern, threads, packAuto, cut, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
}

// gemmArgs is one SGEMM call as the tiles see it.
type gemmArgs struct {
	kern           *microKernel
	transA, transB bool
	m, n, k        int
	kcb            int  // K block size: depends on k and the kernel only, never on threads
	cut            Cut  // how the threads divide C (only speed depends on it)
	packA, packB   bool // copy operands into panels, or read them in place
	alpha, beta    float32
	epilogue       Epilogue // run on each finished tile; nil for none
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
}

// sgemmWith runs one SGEMM with the given kernel on up to threads goroutines.
func sgemmWith(kern *microKernel, threads int, pack packing, cut Cut, transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	if err := checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	if m == 0 || n == 0 {
		return
	}
	if n == 1 && transB {
		// A single column of op(B) is a contiguous run of b either way: read it in place
		// rather than pack it (logistic regression's forward, X·wᵀ, spent most of its time
		// packing w into a zero-padded panel).
		transB, ldb = false, 1
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		if ep != nil {
			ep.Apply(c, ldc, 0, m, 0, n)
		}
		return
	}
	call := callPool.Get().(*gemmCall)
	call.gemmArgs = gemmArgs{kern: kern, transA: transA, transB: transB, m: m, n: n, k: k,
		kcb: kBlock(k, kern.kc), packA: pack.packA(m, n, k), packB: pack.packB(transB, m, n, k),
		cut: cut, alpha: alpha, beta: beta, epilogue: ep, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	call.run(threads)
	call.gemmArgs = gemmArgs{}
	callPool.Put(call)
}

// packing chooses whether operands are copied into panels; only speed depends on it.
type packing uint8

const (
	packAuto   packing = iota // the measured policy below
	packNever                 // read A and a plain B in place (a transposed B is always packed)
	packBOnly                 // pack B, read A in place
	packAlways                // pack both
)

// packA says whether to pack A. Both layouts of A can be read in place (a row or a column
// of A is one stride apart in k), and on Zen 4 packing A never paid, even at 2048³.
func (p packing) packA(m, n, k int) bool { return p == packAlways }

// packB says whether to pack B. A transposed B must be packed (its panels would be strided
// gathers). A plain B is read in place for small products, where packing costs more than it
// saves, and packed for large ones, where its rows (ldb apart, often a power of two) would
// fall into the same L1 sets.
func (p packing) packB(transB bool, m, n, k int) bool {
	switch p {
	case packNever:
		return transB
	case packBOnly, packAlways:
		return true
	}
	return transB || m > 512
}

// kBlock splits k into equal blocks of at most kc, so no block is a sliver.
func kBlock(k, kc int) int {
	nb := (k + kc - 1) / kc
	return (k + nb - 1) / nb
}

// scaleC sets C = beta*C, writing zeros (not beta*NaN) when beta is zero.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// runTile computes the rows [m0,m1) and columns [n0,n1) of C with the Goto/BLIS loop nest:
// K blocks outermost within each column block, then row blocks, then micro-tiles. The K
// blocking is the same for every tile, which keeps each element's arithmetic independent of
// how the output was split. Operands are packed or read in place as g.packA/g.packB say;
// partial edge panels are read in place by kernels with an edge function and packed
// (zero-padded) for the others, so kernels never read out of bounds.
func (g *gemmArgs) runTile(buf *packBuf, m0, m1, n0, n1 int) {
	kern := g.kern
	mr, nr := kern.mr, kern.nr
	buf.ensure(kern)
	for jc := n0; jc < n1; jc += kern.nc {
		nc := min(kern.nc, n1-jc)
		for pc := 0; pc < g.k; pc += g.kcb {
			kc := min(g.kcb, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			if g.packB {
				packB(buf.b, g.b, g.ldb, g.transB, pc, kc, jc, nc, nr)
			} else if full := nc / nr * nr; full < nc && kern.edge == nil {
				packB(buf.b[full*kc:], g.b, g.ldb, g.transB, pc, kc, jc+full, nc-full, nr)
			}
			for ic := m0; ic < m1; ic += kern.mc {
				mc := min(kern.mc, m1-ic)
				if g.packA {
					packA(buf.a, g.a, g.lda, g.transA, ic, mc, pc, kc, mr)
				} else if full := mc / mr * mr; full < mc && kern.edge == nil {
					packA(buf.a[full*kc:], g.a, g.lda, g.transA, ic+full, mc-full, pc, kc, mr)
				}
				// Row tiles read in place by a kernel with an edge function are balanced (10 rows
				// as 5+5, not 8+2), so no tile has too few accumulators to hide FMA latency.
				tiles, balanced := (mc+mr-1)/mr, kern.edge != nil && !g.packA
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					bp, ksb := buf.b[jr*kc:(jr+nr)*kc], nr
					if !g.packB && (cols == nr || kern.edge != nil) {
						bp, ksb = g.b[pc*g.ldb+jc+jr:], g.ldb
					}
					for t := range tiles {
						ir, rows := t*mr, min(mr, mc-t*mr)
						if balanced {
							ir, rows = mc*t/tiles, mc*(t+1)/tiles-mc*t/tiles
						}
						var ap []float32
						var rsa, ksa int
						switch {
						case g.packA || rows < mr && kern.edge == nil:
							ap, rsa, ksa = buf.a[ir*kc:(ir+mr)*kc], 1, mr
						case g.transA:
							ap, rsa, ksa = g.a[pc*g.lda+ic+ir:], 1, g.lda
						default:
							ap, rsa, ksa = g.a[(ic+ir)*g.lda+pc:], g.lda, 1
						}
						off := (ic+ir)*g.ldc + jc + jr
						if rows == mr && cols == nr {
							kern.fn(kc, ap, rsa, ksa, bp, ksb, g.c[off:], g.ldc, g.alpha, beta)
							continue
						}
						if kern.edge != nil {
							kern.edge(rows, cols, kc, ap, rsa, ksa, bp, ksb, g.c[off:], g.ldc, g.alpha, beta)
							continue
						}
						g.edgeTile(buf.tmp, kc, ap, rsa, ksa, bp, ksb, off, rows, cols, beta)
					}
				}
			}
		}
	}
}

// edgeTile runs the same kernel on a partial tile through a full-size scratch tile, so edge
// elements get exactly the arithmetic of interior ones.
func (g *gemmArgs) edgeTile(tmp []float32, kc int, ap []float32, rsa, ksa int, bp []float32, ksb int,
	off, rows, cols int, beta float32) {
	nr := g.kern.nr
	if beta != 0 {
		for r := range rows {
			copy(tmp[r*nr:r*nr+cols], g.c[off+r*g.ldc:])
		}
	}
	g.kern.fn(kc, ap, rsa, ksa, bp, ksb, tmp, nr, g.alpha, beta)
	for r := range rows {
		copy(g.c[off+r*g.ldc:off+r*g.ldc+cols], tmp[r*nr:])
	}
}

// packBuf holds one goroutine's packed blocks of A and B and its edge scratch tile.
type packBuf struct{ a, b, tmp []float32 }

// ensure grows the buffers to what kern's blocking needs; in steady state it allocates nothing.
func (p *packBuf) ensure(kern *microKernel) {
	if n := kern.mc * kern.kc; len(p.a) < n {
		p.a = make([]float32, n)
	}
	if n := kern.nc * kern.kc; len(p.b) < n {
		p.b = make([]float32, n)
	}
	if n := kern.mr * kern.nr; len(p.tmp) < n {
		p.tmp = make([]float32, n)
	}
}

// bufFree keeps pack buffers between calls. Unlike a sync.Pool it survives garbage
// collections: a pool emptied by every GC would reallocate megabytes of buffers, and those
// allocations would themselves bring on the next GC.
var bufFree struct {
	sync.Mutex
	bufs []*packBuf
}

// maxFreeBufs bounds the free list; more buffers are only needed by many concurrent calls.
const maxFreeBufs = 64

func getBuf() *packBuf {
	bufFree.Lock()
	defer bufFree.Unlock()
	if n := len(bufFree.bufs); n > 0 {
		b := bufFree.bufs[n-1]
		bufFree.bufs = bufFree.bufs[:n-1]
		return b
	}
	return new(packBuf)
}

func putBuf(b *packBuf) {
	bufFree.Lock()
	defer bufFree.Unlock()
	if len(bufFree.bufs) < maxFreeBufs {
		bufFree.bufs = append(bufFree.bufs, b)
	}
}
