package kernels

import "math"

// AdamReference applies one Adam update to params in place, element by element, exactly as
// models.Optimizer did before it used AdamStep: all in float32, each operation rounded on
// its own. It is what every AdamStep version must match bit for bit.
//
// The float32(…) around each product is not decoration: the Go spec lets the compiler fuse
// x*y + z into one FMA (it does on arm64, and on amd64 with GOAMD64=v3), which rounds once
// instead of twice and changes the bits; an explicit conversion forbids that fusion.
// float32(math.Sqrt(float64(x))) is the correctly rounded float32 square root (float64
// has more than 2·24+2 significand bits, so rounding twice is harmless), which is why the
// compiler emits SQRTSS for it and the vector versions may use VSQRTPS.
func AdamReference(params, grads, m, v []float32, h AdamHyper) {
	if err := checkOptim("adam reference", params, grads, m, v); err != nil {
		panic(err)
	}
	b1, b2, eps, wd := h.Beta1, h.Beta2, h.Epsilon, h.WeightDecay
	c1, c2, rate := h.Correction1, h.Correction2, h.LR
	for j, g := range grads {
		g += float32(wd * params[j])
		m[j] = float32(b1*m[j]) + float32((1-b1)*g)
		v[j] = float32(b2*v[j]) + float32(float32((1-b2)*g)*g)
		mHat, vHat := m[j]/c1, v[j]/c2
		params[j] -= float32(rate*mHat) / (float32(math.Sqrt(float64(vHat))) + eps)
	}
}

// SGDMomentumReference applies one update of SGD with momentum (PyTorch's rule, dampening
// 0, no Nesterov) to params in place, element by element, as models.Optimizer did before
// it used SGDMomentumStep; products are kept from fusing as in AdamReference.
func SGDMomentumReference(params, grads, velocity []float32, h SGDHyper) {
	if err := checkOptim("sgd reference", params, grads, velocity, velocity); err != nil {
		panic(err)
	}
	mu, rate, wd := h.Momentum, h.LR, h.WeightDecay
	for j, g := range grads {
		g += float32(wd * params[j])
		velocity[j] = float32(mu*velocity[j]) + g
		params[j] -= float32(rate * velocity[j])
	}
}
