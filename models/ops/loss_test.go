package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// scalarSoftmax is one sample's softmax cross-entropy as the loss computed it before its
// exponentials were taken in vector passes: math.Max and math.Exp one value at a time.
func scalarSoftmax(z, y []float32) (loss, sum float64, exps []float64) {
	m := float64(z[0])
	for _, v := range z[1:] {
		m = math.Max(m, float64(v))
	}
	for _, v := range z {
		e := math.Exp(float64(v) - m)
		exps = append(exps, e)
		sum += e
	}
	logS := math.Log(sum)
	for c, v := range z {
		if y[c] != 0 {
			loss -= float64(y[c]) * (float64(v) - m - logS)
		}
	}
	return loss, sum, exps
}

// TestSoftmaxTermsMatchScalar checks every sample's loss, exponentials and sum bit for bit
// against the scalar formulation, over batches that end mid-vector and mid-block, with
// zero-weight rows, large logits, ±Inf and NaN.
func TestSoftmaxTermsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][2]int{{128, 10}, {37, 10}, {5, 3}, {70, 1}, {33, 7}} {
		batch, n := shape[0], shape[1]
		z, y, w := make([]float32, batch*n), make([]float32, batch*n), make([]float32, batch)
		for i := range z {
			z[i] = float32(rng.NormFloat64() * 30)
		}
		for i := range batch {
			y[i*n+rng.IntN(n)] = 1
			w[i] = 1
		}
		w[1] = 0
		specials := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1e30, -1e30}
		for k, v := range specials {
			if i := 2 + k*n + k%n; i < len(z) {
				z[i] = v
			}
		}
		terms := &sampleTerms{head: SoftmaxHead, outputs: n, z: z, y: y, w: w, losses: make([]float64, batch),
			shifted: make([]float64, batch*n), exps: make([]float64, batch*n), sums: make([]float64, batch)}
		for part := range (batch + lossBlock - 1) / lossBlock {
			terms.Run(part)
		}
		for i := range batch {
			if w[i] == 0 {
				continue
			}
			loss, sum, exps := scalarSoftmax(z[i*n:(i+1)*n], y[i*n:(i+1)*n])
			same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b }
			if !same(terms.losses[i], loss) || !same(terms.sums[i], sum) {
				t.Fatalf("%d×%d sample %d: loss %v sum %v, scalar %v and %v", batch, n, i, terms.losses[i], terms.sums[i], loss, sum)
			}
			for c, e := range exps {
				if !same(terms.exps[i*n+c], e) {
					t.Fatalf("%d×%d sample %d class %d: e^(z−max) %v, scalar %v", batch, n, i, c, terms.exps[i*n+c], e)
				}
			}
		}
	}
}

// TestMaxOfIsMathMax checks the fold against math.Max on the values where they could part:
// signed zeros, infinities and NaN together with +Inf.
func TestMaxOfIsMathMax(t *testing.T) {
	inf, nan, negZero := float32(math.Inf(1)), float32(math.NaN()), float32(math.Copysign(0, -1))
	for _, z := range [][]float32{{negZero, 0}, {0, negZero}, {negZero, negZero}, {-1, inf, 2}, {nan, 1}, {1, nan},
		{nan, inf}, {inf, nan}, {-inf, -5}, {3}, {2, 7, -1, 7}} {
		want := float64(z[0])
		for _, v := range z[1:] {
			want = math.Max(want, float64(v))
		}
		if got := maxOf(z); math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want) {
			t.Errorf("maxOf(%v) = %v, math.Max gives %v", z, got, want)
		}
	}
}
