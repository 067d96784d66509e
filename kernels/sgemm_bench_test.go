package kernels

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchmarkShapes are the shapes of ../shared/bench/gemm_reference.py: square 256–2048 and
// the reference MLP's (784-256-128-10, batch 128) forward and backward products, all NN.
var benchmarkShapes = [][3]int{{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
	{128, 256, 784}, {128, 128, 256}, {128, 10, 128},
	{784, 256, 128}, {256, 128, 128},
	{128, 784, 256}, {128, 256, 128}}

// trainingProducts are the MLP's backward products with the transposes training really
// uses: dW = Xᵀ·dY (TN) and dX = dY·Wᵀ (NT).
var trainingProducts = []struct {
	m, n, k        int
	transA, transB bool
}{
	{784, 256, 128, true, false}, {256, 128, 128, true, false}, {128, 10, 128, true, false},
	{128, 784, 256, false, true}, {128, 256, 128, false, true}, {128, 128, 10, false, true},
}

var benchPackFlag = flag.String("pack", "auto", "operand packing in BenchmarkSgemmKernels: auto, never, b or always")

// BenchmarkSgemm measures the public Sgemm (kernel chosen by shape, Threads() goroutines).
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchmarkShapes {
		benchGemm(b, fmt.Sprintf("NN/%dx%dx%d", s[0], s[1], s[2]), s[0], s[1], s[2], false, false,
			func(tA, tB bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32) {
				Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
			})
	}
	for _, p := range trainingProducts {
		name := fmt.Sprintf("%s/%dx%dx%d", map[[2]bool]string{{true, false}: "TN", {false, true}: "NT"}[[2]bool{p.transA, p.transB}], p.m, p.n, p.k)
		benchGemm(b, name, p.m, p.n, p.k, p.transA, p.transB,
			func(tA, tB bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32) {
				Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
			})
	}
}

// BenchmarkSgemmKernels measures each micro-kernel this CPU runs at the reference shapes,
// with the packing policy of -pack.
func BenchmarkSgemmKernels(b *testing.B) {
	pack, ok := map[string]packing{"auto": packAuto, "never": packNever, "b": packBOnly, "always": packAlways}[*benchPackFlag]
	if !ok {
		b.Fatalf("flag -pack %q: want auto, never, b or always", *benchPackFlag)
	}
	for _, kern := range availableKernels() {
		for _, s := range benchmarkShapes {
			if kern.name == "go" && s[0]*s[1]*s[2] > 1<<27 {
				continue
			}
			benchGemm(b, fmt.Sprintf("%s/%dx%dx%d", kern.name, s[0], s[1], s[2]), s[0], s[1], s[2], false, false,
				func(tA, tB bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32) {
					sgemmWith(&kern, Threads(), pack, CutAuto, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n, nil)
				})
		}
	}
}

func benchGemm(b *testing.B, name string, m, n, k int, transA, transB bool,
	gemm func(tA, tB bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32)) {
	b.Run(name, func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		lda, ldb := k, n
		if transA {
			lda = m
		}
		if transB {
			ldb = k
		}
		a, bb, c := randomMatrix(rng, 1, m*k), randomMatrix(rng, 1, k*n), make([]float32, m*n)
		b.ReportAllocs()
		for b.Loop() {
			gemm(transA, transB, m, n, k, a, lda, bb, ldb, c)
		}
		b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
