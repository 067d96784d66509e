package kernels

import "fmt"

// OptimizerEpilogue runs one optimizer step on a parameter inside the SGEMM that computes
// its gradient: as each tile of the product finishes, the parameter's elements under it
// are updated from the gradient just written, while it is still in the core's cache,
// instead of in a pass over every parameter after the backward pass. That pass read each
// gradient back from L3 (the MLP's first layer's 200,704 values are written a whole
// product earlier) and cost a hand-off of its own. The update is the optimizer's own
// element-wise version (sgdVersion, adamVersion) on the same values, so the bits are
// those of SGDMomentumSteps or AdamSteps after the product, whatever cuts the tiles.
//
// It needs every tile to hold whole rows of C, the gradient laid out like the parameter
// (ldc = n): use it with CutRows, or on a product small enough to be one tile. Unarmed,
// it does nothing.
type OptimizerEpilogue struct {
	params, s0, s1 []float32 // the parameter and its optimizer state: velocity, or Adam's m and v
	kind           optimizerKind
	sgd            SGDHyper
	adam           adamConsts
}

type optimizerKind uint8

const (
	optimizerOff optimizerKind = iota
	optimizerSGD
	optimizerAdam
)

// ArmSGD has the next product's tiles apply an SGD-with-momentum step to params, with
// velocity as its state.
func (e *OptimizerEpilogue) ArmSGD(params, velocity []float32, h SGDHyper) error {
	if err := checkOptim("fused sgd step", params, velocity, velocity, velocity); err != nil {
		return err
	}
	*e = OptimizerEpilogue{params: params, s0: velocity, kind: optimizerSGD, sgd: h}
	return nil
}

// ArmAdam has the next product's tiles apply an Adam step to params, with moments m and v.
func (e *OptimizerEpilogue) ArmAdam(params, m, v []float32, h AdamHyper) error {
	if err := checkOptim("fused adam step", params, m, m, v); err != nil {
		return err
	}
	*e = OptimizerEpilogue{params: params, s0: m, s1: v, kind: optimizerAdam, adam: adamConstsOf(h)}
	return nil
}

// Disarm stops the updates and drops the references to the parameter and its state.
func (e *OptimizerEpilogue) Disarm() { *e = OptimizerEpilogue{} }

// Armed reports whether the next product will update the parameter.
func (e *OptimizerEpilogue) Armed() bool { return e.kind != optimizerOff }

func (e *OptimizerEpilogue) Apply(c []float32, ldc, m0, m1, n0, n1 int) {
	if e.kind == optimizerOff || m1 <= m0 {
		return
	}
	if n0 != 0 || n1 != ldc || m1*ldc > len(e.params) {
		panic(fmt.Sprintf("kernels: optimizer epilogue on columns [%d,%d) of rows [%d,%d), ldc %d, parameter of %d values: it needs whole rows of a gradient shaped like the parameter",
			n0, n1, m0, m1, ldc, len(e.params)))
	}
	lo, hi := m0*ldc, m1*ldc
	switch e.kind {
	case optimizerSGD:
		sgdVersion.fn(e.params[lo:hi], c[lo:hi], e.s0[lo:hi], e.sgd)
	case optimizerAdam:
		adamVersion.fn(e.params[lo:hi], c[lo:hi], e.s0[lo:hi], e.s1[lo:hi], &e.adam)
	}
}
