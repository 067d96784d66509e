package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// gemmCase is one SGEMM problem: sizes, transposes, padding of the leading dimensions
// beyond the row length (a strided view), alpha and beta.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	pad            int
	alpha, beta    float32
}

func (c gemmCase) String() string {
	return fmt.Sprintf("%dx%dx%d_tA%v_tB%v_pad%d_a%g_b%g", c.m, c.n, c.k, c.transA, c.transB, c.pad, c.alpha, c.beta)
}

// gemmData is the operands of a case, filled with random values of magnitude in [0.5, 1.5)
// and random sign (never zero), and C pre-filled with NaN when beta is zero.
type gemmData struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

func newGemmData(tc gemmCase, seed uint64) gemmData {
	rng := rand.New(rand.NewPCG(seed, 7))
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	d := gemmData{lda: ac + tc.pad, ldb: bc + tc.pad, ldc: tc.n + tc.pad}
	d.a = randomMatrix(rng, ar, d.lda)
	d.b = randomMatrix(rng, br, d.ldb)
	d.c = randomMatrix(rng, tc.m, d.ldc)
	if tc.beta == 0 {
		for i := range d.c {
			d.c[i] = float32(math.NaN())
		}
	}
	return d
}

func randomMatrix(rng *rand.Rand, rows, ld int) []float32 {
	x := make([]float32, rows*ld)
	for i := range x {
		v := 0.5 + rng.Float32()
		if rng.IntN(2) == 0 {
			v = -v
		}
		x[i] = v
	}
	return x
}

// gemmCases covers tiny, odd, K=1, vector-shaped, multi-K-block and larger shapes, every
// transpose variant and every beta, alternating strided views and alpha.
func gemmCases() []gemmCase {
	shapes := [][3]int{{1, 1, 1}, {7, 13, 5}, {129, 257, 65}, {33, 47, 1}, {1, 100, 37}, {100, 1, 37},
		{300, 200, 100}, {8, 32, 256}, {6, 16, 300}, {17, 33, 520}, {70, 40, 3}}
	var cases []gemmCase
	i := 0
	for _, s := range shapes {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, beta := range []float32{0, 1, 0.5} {
				alpha := float32(1)
				if i%2 == 1 {
					alpha = -0.7
				}
				cases = append(cases, gemmCase{m: s[0], n: s[1], k: s[2], transA: tr[0], transB: tr[1],
					pad: 3 * (i % 2), alpha: alpha, beta: beta})
				i++
			}
		}
	}
	return cases
}

// kernelByName returns the named micro-kernel if this CPU runs it.
func kernelByName(name string) (microKernel, bool) {
	for _, k := range availableKernels() {
		if k.name == name {
			return k, true
		}
	}
	return microKernel{}, false
}

// checkClose compares got with the reference want element by element. The bound is the
// float32 worst case of two k-term sums of terms at most 2.25 in size, plus the beta term;
// a single missing or wrong product (at least 0.25*|alpha| with these inputs) exceeds it.
func checkClose(t *testing.T, tc gemmCase, got, want []float32, ldc int) {
	t.Helper()
	const eps = 1.0 / (1 << 23)
	tol := 2 * eps * float64(tc.k+2) * (math.Abs(float64(tc.alpha))*2.25*float64(tc.k) + 1.5*math.Abs(float64(tc.beta)) + 1)
	for i := range tc.m {
		for j := range tc.n {
			g, w := got[i*ldc+j], want[i*ldc+j]
			if math.IsNaN(float64(g)) || math.Abs(float64(g-w)) > tol {
				t.Fatalf("C[%d][%d] = %g, reference %g (tolerance %g)", i, j, g, w, tol)
			}
		}
	}
	// Padding columns of a strided C must be untouched.
	for i := range tc.m {
		for j := tc.n; j < ldc && i*ldc+j < len(got); j++ {
			if g, w := got[i*ldc+j], want[i*ldc+j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("padding C[%d][%d] changed to %g, was %g", i, j, g, w)
			}
		}
	}
}

func TestSgemmVersions(t *testing.T) {
	cases := gemmCases()
	refs := make([][]float32, len(cases))
	for i, tc := range cases {
		d := newGemmData(tc, uint64(i))
		SgemmReference(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, d.c, d.ldc)
		refs[i] = d.c
	}
	for _, name := range []string{"avx512", "avx512n", "avx2", "go"} {
		t.Run(name, func(t *testing.T) {
			kern, ok := kernelByName(name)
			if !ok {
				t.Skipf("the %s kernel is not available: this CPU lacks its instructions, or the build is not amd64 or uses the purego tag", name)
			}
			for i, tc := range cases {
				mode := []packing{packAlways, packNever, packBOnly, packAuto}[(i/3)%4]
				t.Run(fmt.Sprintf("%v_pack%d", tc, mode), func(t *testing.T) {
					d := newGemmData(tc, uint64(i))
					sgemmWith(&kern, 2, mode, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, d.c, d.ldc, nil)
					checkClose(t, tc, d.c, refs[i], d.ldc)
				})
			}
		})
	}
}

func TestSgemmThreadsBitIdentical(t *testing.T) {
	cases := []gemmCase{
		{m: 300, n: 200, k: 100, alpha: 1, beta: 0},
		{m: 129, n: 257, k: 520, transA: true, alpha: -0.7, beta: 0.5, pad: 3},
		{m: 1000, n: 50, k: 30, transB: true, alpha: 1, beta: 1},
		{m: 50, n: 1000, k: 30, transA: true, transB: true, alpha: 2, beta: 0},
		{m: 128, n: 256, k: 784, alpha: 1, beta: 0},
		{m: 256, n: 784, k: 128, transA: true, alpha: 1, beta: 0}, // the MLP's dWᵀ, cut into rows
		{m: 128, n: 256, k: 784, transB: true, alpha: 1, beta: 0}, // its forward with W [out, in]
	}
	for _, kern := range availableKernels() {
		for i, tc := range cases {
			t.Run(kern.name+"/"+tc.String(), func(t *testing.T) {
				d := newGemmData(tc, uint64(i))
				one := slices.Clone(d.c)
				sgemmWith(&kern, 1, packAuto, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, one, d.ldc, nil)
				for _, threads := range []int{2, 3, 4, 7} {
					for _, cut := range []Cut{CutAuto, CutRows, CutColumns} {
						got := slices.Clone(d.c)
						sgemmWith(&kern, threads, packAuto, cut, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc, nil)
						for j := range got {
							if math.Float32bits(got[j]) != math.Float32bits(one[j]) {
								t.Fatalf("threads=%d, cut %d: C element %d = %g, 1 thread gave %g", threads, cut, j, got[j], one[j])
							}
						}
					}
				}
			})
		}
	}
}

func TestSgemmPublicUsesBestKernel(t *testing.T) {
	tc := gemmCase{m: 65, n: 70, k: 300, alpha: 1, beta: 0}
	d := newGemmData(tc, 1)
	want := slices.Clone(d.c)
	sgemmWith(&bestKernel, 1, packAuto, CutAuto, false, false, tc.m, tc.n, tc.k, 1, d.a, d.lda, d.b, d.ldb, 0, want, d.ldc, nil)
	for _, threads := range []int{0, 1, 2} {
		SetThreads(threads)
		got := slices.Clone(d.c)
		Sgemm(false, false, tc.m, tc.n, tc.k, 1, d.a, d.lda, d.b, d.ldb, 0, got, d.ldc)
		if !slices.Equal(got, want) {
			t.Fatalf("SetThreads(%d): Sgemm differs from the %s kernel", threads, bestKernel.name)
		}
	}
	SetThreads(0)
	t.Logf("Sgemm uses the %s kernel", KernelName())
}

func TestSgemmEdgeCases(t *testing.T) {
	t.Run("k=0 scales C by beta", func(t *testing.T) {
		c := []float32{1, 2, float32(math.NaN()), 4}
		Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 2)
		if c[0] != 0.5 || c[1] != 1 || c[3] != 2 || !math.IsNaN(float64(c[2])) {
			t.Fatalf("k=0 beta=0.5 gave %v", c)
		}
		Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
		if !slices.Equal(c, []float32{0, 0, 0, 0}) {
			t.Fatalf("k=0 beta=0 gave %v, want zeros", c)
		}
	})
	t.Run("alpha=0 scales C and ignores A and B", func(t *testing.T) {
		nan := float32(math.NaN())
		c := []float32{1, 2, 3, 4}
		Sgemm(false, false, 2, 2, 1, 0, []float32{nan, nan}, 1, []float32{nan, nan}, 2, 2, c, 2)
		if !slices.Equal(c, []float32{2, 4, 6, 8}) {
			t.Fatalf("alpha=0 beta=2 gave %v, want 2*C", c)
		}
	})
	t.Run("short slice panics with ErrShape", func(t *testing.T) {
		err := recoverError(func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		})
		if !errors.Is(err, ErrShape) {
			t.Fatalf("got %v, want a panic with an error wrapping ErrShape", err)
		}
	})
	t.Run("negative size panics with ErrShape", func(t *testing.T) {
		err := recoverError(func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) })
		if !errors.Is(err, ErrShape) {
			t.Fatalf("got %v, want a panic with an error wrapping ErrShape", err)
		}
	})
}

func TestSgemmSteadyStateAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop objects: allocation counts mean nothing")
	}
	tc := gemmCase{m: 128, n: 256, k: 300, transB: true, alpha: 1, beta: 0}
	d := newGemmData(tc, 3)
	SetThreads(2)
	defer SetThreads(0)
	call := func() { Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, d.a, d.lda, d.b, d.ldb, 0, d.c, d.ldc) }
	call()
	// A garbage collection may empty the buffer pools once in a while; anything near one
	// allocation per call means buffers are not being reused.
	if allocs := testing.AllocsPerRun(50, call); allocs >= 0.5 {
		t.Fatalf("Sgemm allocates %.2f times per call in steady state, want 0", allocs)
	}
}

// TestSgemmKernelsAgree proves what choosing a kernel by shape relies on: kernels of one
// family give bit-identical results.
func TestSgemmKernelsAgree(t *testing.T) {
	ks := availableKernels()
	for i, tc := range gemmCases() {
		if i%5 != 0 {
			continue
		}
		t.Run(tc.String(), func(t *testing.T) {
			d := newGemmData(tc, uint64(i))
			want := slices.Clone(d.c)
			sgemmWith(&ks[0], 1, packAuto, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, want, d.ldc, nil)
			compared := 0
			for _, kern := range ks[1:] {
				if kern.family != ks[0].family {
					continue
				}
				got := slices.Clone(d.c)
				sgemmWith(&kern, 1, packAuto, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc, nil)
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("%s and %s differ at C element %d: %g vs %g", kern.name, ks[0].name, j, got[j], want[j])
					}
				}
				compared++
			}
			if compared == 0 {
				t.Skipf("only one kernel of the %s family runs on this CPU", ks[0].family)
			}
		})
	}
}

// TestSgemmConcurrentCalls runs several multi-threaded calls at once and back to back, as
// data-parallel workers in one process would, so that helpers arrive late and call structs
// are reused under them; each call must still give its single-call result.
func TestSgemmConcurrentCalls(t *testing.T) {
	SetThreads(3)
	defer SetThreads(0)
	tc := gemmCase{m: 70, n: 80, k: 60, transB: true, alpha: 1, beta: 0.5}
	d := newGemmData(tc, 9)
	want := slices.Clone(d.c)
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, want, d.ldc)
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for range 50 {
				got := slices.Clone(d.c)
				Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc)
				if !slices.Equal(got, want) {
					errs <- fmt.Errorf("goroutine %d: result differs from the single call", g)
					return
				}
			}
			errs <- nil
		}()
	}
	deadline := time.After(time.Minute)
	for range 4 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("concurrent Sgemm calls did not finish within a minute")
		}
	}
}

// tileRecorder is an epilogue that records the tiles it is applied to.
type tileRecorder struct {
	mu    sync.Mutex
	tiles [][4]int
}

func (r *tileRecorder) Apply(_ []float32, _, m0, m1, n0, n1 int) {
	r.mu.Lock()
	r.tiles = append(r.tiles, [4]int{m0, m1, n0, n1})
	r.mu.Unlock()
}

// TestForcedCuts: CutRows cuts the MLP's weight gradient, which CutAuto cuts into
// columns, into full-width row bands, and CutColumns cuts the CNN's dense forward, which
// CutAuto cuts into rows, into full-height column bands, each element computed once; a
// forced cut that makes every tile stream an operand too large for L2 (the CNN's dense
// weight gradient reads its 128×3136 input in place) gets one tile a thread.
func TestForcedCuts(t *testing.T) {
	for _, tc := range []struct {
		gemm      gemmCase
		cut       Cut
		wantTiles int // 0: at least 2
	}{
		{gemmCase{m: 256, n: 784, k: 128, transA: true, alpha: 1}, CutRows, 0},
		{gemmCase{m: 128, n: 128, k: 3136, transB: true, alpha: 1}, CutColumns, 2},
		{gemmCase{m: 128, n: 3136, k: 128, transA: true, alpha: 1}, CutRows, 2},
	} {
		d := newGemmData(tc.gemm, 1)
		for _, cut := range []Cut{CutAuto, tc.cut} {
			var r tileRecorder
			sgemmThreads(2, cut, tc.gemm.transA, tc.gemm.transB, tc.gemm.m, tc.gemm.n, tc.gemm.k, 1, d.a, d.lda, d.b, d.ldb, 0, d.c, d.ldc, &r)
			covered, bands := 0, true
			for _, tile := range r.tiles {
				if tc.cut == CutRows {
					bands = bands && tile[2] == 0 && tile[3] == tc.gemm.n
					covered += tile[1] - tile[0]
				} else {
					bands = bands && tile[0] == 0 && tile[1] == tc.gemm.m
					covered += tile[3] - tile[2]
				}
			}
			side := tc.gemm.m
			if tc.cut == CutColumns {
				side = tc.gemm.n
			}
			forced := bands && covered == side
			if forced != (cut == tc.cut) || len(r.tiles) < 2 {
				t.Errorf("%v, cut %d: tiles %v; want bands along the forced side only with the forced cut, and at least 2 tiles", tc.gemm, cut, r.tiles)
			}
			if cut == tc.cut && tc.wantTiles > 0 && len(r.tiles) != tc.wantTiles {
				t.Errorf("%v, cut %d: %d tiles, want %d", tc.gemm, cut, len(r.tiles), tc.wantTiles)
			}
		}
	}
}
