package kernels

import (
	"fmt"
	"math"
	"sync"
)

// AdamHyper is one Adam step's hyper-parameters, already in the float32 form the update
// uses. NewAdamHyper derives it from the float64 configuration and the step number.
type AdamHyper struct {
	LR, Beta1, Beta2, Epsilon, WeightDecay float32
	// Correction1 and Correction2 are the bias corrections 1−β₁ᵗ and 1−β₂ᵗ of step t.
	Correction1, Correction2 float32
}

// NewAdamHyper converts Adam's configuration for step t (counted from 1) to float32, as
// models.Optimizer always has. The bias corrections are computed in float64 and then
// rounded: math.Pow with an integer exponent is repeated squaring in pure Go (products
// only, nothing a compiler could fuse), so they are the same on every machine.
func NewAdamHyper(lr, beta1, beta2, epsilon, weightDecay float64, t int64) AdamHyper {
	return AdamHyper{
		LR: float32(lr), Beta1: float32(beta1), Beta2: float32(beta2),
		Epsilon: float32(epsilon), WeightDecay: float32(weightDecay),
		Correction1: float32(1 - math.Pow(beta1, float64(t))),
		Correction2: float32(1 - math.Pow(beta2, float64(t))),
	}
}

// AdamStep applies one Adam update (PyTorch's rule, L2 weight decay added to the gradient)
// to params in place, updating the moments m and v:
//
//	g += wd·p;  m = β₁m + (1−β₁)g;  v = β₂v + ((1−β₂)g)g;  p −= lr·(m/c₁) / (√(v/c₂) + ε)
//
// with every operation rounded to float32 separately, in that order, and no FMA: the
// result is bit-identical to AdamReference on every CPU and version (AVX-512, AVX2, Go),
// whatever Threads() is. Weight decay 0 still adds 0·p, as the reference does (it decides
// the sign of a zero gradient, and turns an infinite parameter into NaN).
func AdamStep(params, grads, m, v []float32, h AdamHyper) error {
	c := adamCalls.Get().(*adamCall)
	c.one[0] = AdamTensor{Params: params, Grads: grads, M: m, V: v}
	_, err := c.run(c.one[:], h)
	c.one[0] = AdamTensor{}
	adamCalls.Put(c)
	return err
}

// AdamTensor is one tensor's operands of an Adam update.
type AdamTensor struct {
	Params, Grads, M, V []float32
}

// AdamSteps applies AdamStep to every tensor, as one parallel operation (see
// tensorUpdate). A tensor whose operands differ in length is an error naming its index,
// and then nothing is updated.
func AdamSteps(ts []AdamTensor, h AdamHyper) error {
	c := adamCalls.Get().(*adamCall)
	i, err := c.run(ts, h)
	adamCalls.Put(c)
	if err != nil {
		return fmt.Errorf("tensor %d: %w", i, err)
	}
	return nil
}

// adamConsts is AdamHyper with 1−β₁ and 1−β₂ rounded once, as the vector kernels load it,
// and a note of which bias corrections are exactly 1: after about 165 steps with β₁ = 0.9
// (0.9ᵗ < 2⁻²⁵) c₁ rounds to 1, and dividing by it, a quarter of Adam's divider work, can be
// skipped without changing a bit. The field order is the assembly's (optim_amd64.s).
type adamConsts struct {
	wd, b1, omb1, b2, omb2, c1, c2, lr, eps float32
	ones                                    uint32 // bit 0: c1 == 1, bit 1: c2 == 1
}

func adamConstsOf(h AdamHyper) adamConsts {
	return adamConsts{
		wd: h.WeightDecay, b1: h.Beta1, omb1: 1 - h.Beta1, b2: h.Beta2, omb2: 1 - h.Beta2,
		c1: h.Correction1, c2: h.Correction2, lr: h.LR, eps: h.Epsilon,
		ones: correctionIsOne(h.Correction1) | correctionIsOne(h.Correction2)<<1,
	}
}

func correctionIsOne(c float32) uint32 {
	if c == 1 {
		return 1
	}
	return 0
}

// adamCall is one Adam update shared by the goroutines working on it; pooled so that a
// step allocates nothing.
type adamCall struct {
	ts       []AdamTensor
	k        adamConsts
	one      [1]AdamTensor
	sizes    []int
	parallel tensorUpdate
}

var adamCalls = sync.Pool{New: func() any { return new(adamCall) }}

// run checks the tensors and updates every element, or returns the first bad tensor's
// index and error.
func (c *adamCall) run(ts []AdamTensor, h AdamHyper) (int, error) {
	c.sizes = c.sizes[:0]
	for i, t := range ts {
		if err := checkOptim("adam step", t.Params, t.Grads, t.M, t.V); err != nil {
			return i, err
		}
		c.sizes = append(c.sizes, len(t.Params))
	}
	c.ts, c.k = ts, adamConstsOf(h)
	c.parallel.run(c, c.sizes)
	c.ts = nil
	return 0, nil
}

// update applies the update to elements [lo,hi) of tensor t.
func (c *adamCall) update(t, lo, hi int) {
	x := &c.ts[t]
	adamVersion.fn(x.Params[lo:hi], x.Grads[lo:hi], x.M[lo:hi], x.V[lo:hi], &c.k)
}
