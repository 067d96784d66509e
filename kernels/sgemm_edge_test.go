package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// edgeSizes are the sizes TestSgemmEdgePathsBitIdentical draws M, N and K from: every size
// up to 40 (every remainder of both tiles), around a tile multiple, and the models' sizes.
var edgeSizes = append(seq(1, 40), 63, 64, 65, 289, 784)

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// TestSgemmEdgePathsBitIdentical checks that kernels with in-place edge tiles (and the
// narrow kernel chosen for thin products) give exactly the bits of the scratch-tile path
// that computed every product before them, on random shapes, transposes, betas, strides,
// packings and thread counts; small products are also checked against the reference.
func TestSgemmEdgePathsBitIdentical(t *testing.T) {
	ks := availableKernels()
	var base microKernel // the first kernel of the best family, without its edge function
	for _, k := range ks {
		if k.family == ks[0].family && k.edge != nil {
			base = k
			base.edge = nil
			break
		}
	}
	if base.fn == nil {
		t.Skip("no kernel with an in-place edge runs on this CPU")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	cases := 400
	if testing.Short() {
		cases = 60
	}
	for i := range cases {
		pick := func() int { return edgeSizes[rng.IntN(len(edgeSizes))] }
		tc := gemmCase{m: pick(), n: pick(), k: pick(), transA: rng.IntN(2) == 0, transB: rng.IntN(2) == 0,
			pad: 3 * rng.IntN(2), alpha: []float32{1, -0.7}[rng.IntN(2)], beta: []float32{0, 1, 0.37}[rng.IntN(3)]}
		if tc.m*tc.n*tc.k > 20_000_000 {
			continue // three sizes of 289 or more: slow, and nothing they test is not tested smaller
		}
		threads := 1 + rng.IntN(3)
		mode := []packing{packAuto, packNever, packBOnly, packAlways}[rng.IntN(4)]
		t.Run(fmt.Sprintf("%v_t%d_pack%d", tc, threads, mode), func(t *testing.T) {
			d := newGemmData(tc, uint64(i))
			want := slices.Clone(d.c)
			sgemmWith(&base, 1, mode, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, want, d.ldc, nil)
			if tc.m*tc.n*tc.k <= 1_000_000 {
				ref := slices.Clone(d.c)
				SgemmReference(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, ref, d.ldc)
				checkClose(t, tc, want, ref, d.ldc)
			}
			for _, kern := range ks {
				if kern.family != base.family {
					continue
				}
				got := slices.Clone(d.c)
				sgemmWith(&kern, threads, mode, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc, nil)
				sameBits(t, kern.name+" C", got, want, false)
			}
			got := slices.Clone(d.c)
			sgemmThreads(threads, CutAuto, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc, nil)
			sameBits(t, "Sgemm C", got, want, false)
		})
	}
}
