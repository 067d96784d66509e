package kernels

import (
	"fmt"
	"testing"
)

// modelProducts are the SGEMM products the benchmark models' training steps run, with the
// transposes and thread counts the step uses (bench/throughput lists them against OpenBLAS).
var modelProducts = []struct {
	m, n, k        int
	transA, transB bool
	threads        int
}{
	{128, 10, 128, false, false, 2}, {128, 10, 128, true, false, 2}, {10, 32, 784, false, false, 1},
	{128, 128, 10, false, true, 2}, {32, 784, 10, false, false, 1}, {64, 196, 289, false, false, 1},
	{289, 64, 196, false, true, 1}, {288, 196, 64, true, false, 1}, {128, 256, 128, false, true, 2},
	{128, 256, 784, false, false, 2}, {784, 256, 128, true, false, 2}, {128, 128, 256, false, false, 2},
	{256, 128, 128, true, false, 2},
}

// BenchmarkSgemmModels measures the public Sgemm on the models' products.
func BenchmarkSgemmModels(b *testing.B) {
	defer SetThreads(0)
	for _, p := range modelProducts {
		tr := map[bool]string{false: "N", true: "T"}
		name := fmt.Sprintf("%dx%dx%d_%s%s_t%d", p.m, p.n, p.k, tr[p.transA], tr[p.transB], p.threads)
		SetThreads(p.threads)
		benchGemm(b, name, p.m, p.n, p.k, p.transA, p.transB,
			func(tA, tB bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32) {
				Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
			})
	}
}
