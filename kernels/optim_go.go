package kernels

import "math"

// adamGo is the portable Adam version: AdamReference's arithmetic with the bounds checks
// hoisted out of the loop and divisions by a correction of exactly 1 skipped.
func adamGo(p, g, m, v []float32, k *adamConsts) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	wd, b1, omb1, b2, omb2 := k.wd, k.b1, k.omb1, k.b2, k.omb2
	c1, c2, lr, eps, ones := k.c1, k.c2, k.lr, k.eps, k.ones
	for j := range p {
		gj := g[j] + float32(wd*p[j])
		mj := float32(b1*m[j]) + float32(omb1*gj)
		vj := float32(b2*v[j]) + float32(float32(omb2*gj)*gj)
		m[j], v[j] = mj, vj
		if ones&1 == 0 {
			mj /= c1
		}
		if ones&2 == 0 {
			vj /= c2
		}
		p[j] -= float32(lr*mj) / (float32(math.Sqrt(float64(vj))) + eps)
	}
}

// sgdGo is the portable SGD-with-momentum version.
func sgdGo(p, g, vel []float32, h SGDHyper) {
	n := len(p)
	g, vel = g[:n], vel[:n]
	mu, lr, wd := h.Momentum, h.LR, h.WeightDecay
	for j := range p {
		vj := float32(mu*vel[j]) + (g[j] + float32(wd*p[j]))
		vel[j] = vj
		p[j] -= float32(lr * vj)
	}
}
