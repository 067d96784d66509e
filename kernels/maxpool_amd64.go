//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// maxPoolPlanesAVX512 pools planes of x into the contiguous y and arg as pl describes
// (maxpool_amd64.s); i0 is the index of x[0].
//
//go:noescape
func maxPoolPlanesAVX512(x, y *float32, arg *int32, pl *poolPlan, planes, i0 int)

// poolForwardAVX512 is poolForwardGo in one assembly call for all of its planes: on the
// CNN's 14- and 7-window rows a call per row cost more than the row's pooling.
func poolForwardAVX512(p *poolArgs, lo, hi int) {
	h, w := p.h, p.w
	ohw := (h / 2) * (w / 2)
	x, y, arg := p.x[lo*h*w:hi*h*w], p.y[lo*ohw:hi*ohw], p.arg[lo*ohw:hi*ohw]
	pl := newPoolPlan(h, w)
	if !p.relu {
		pl.keepAll = 0xffff
	}
	maxPoolPlanesAVX512(&x[0], &y[0], &arg[0], &pl, hi-lo, lo*h*w)
}

// poolVersions lists the max-pool versions this CPU runs, fastest first.
func poolVersions() []poolVersion {
	vs := []poolVersion{}
	if cpu.X86.HasAVX512F {
		vs = append(vs, poolVersion{"avx512", poolForwardAVX512, unpoolReLUGo})
	}
	return append(vs, goPool)
}
