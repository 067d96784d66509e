//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// maxPoolPlanesAVX512 pools planes of x into the contiguous y and arg as pl describes
// (maxpool_amd64.s); i0 is the index of x[0].
//
//go:noescape
func maxPoolPlanesAVX512(x, y *float32, arg *int32, pl *poolPlan, planes, i0 int)

// unpoolReLUAVX512 writes dx of planes from the contiguous dy and arg as pl describes
// (unpool_amd64.s), all but a trailing odd row; i0 is the index of dx[0]. It returns the
// number of planes done before one with an argmax neither −1 nor in its window.
//
//go:noescape
func unpoolReLUAVX512(dy *float32, arg *int32, dx *float32, pl *poolPlan, planes, i0 int) int

// poolForwardAVX512 is poolForwardGo in one assembly call for all of its planes: on the
// CNN's 14- and 7-window rows a call per row cost more than the row's pooling.
func poolForwardAVX512(p *poolArgs, lo, hi int) {
	h, w := p.h, p.w
	ohw := (h / 2) * (w / 2)
	x, y, arg := p.x[lo*h*w:hi*h*w], p.y[lo*ohw:hi*ohw], p.arg[lo*ohw:hi*ohw]
	pl := newPoolPlan(h, w, false)
	if !p.relu {
		pl.keepAll = 0xffff
	}
	maxPoolPlanesAVX512(&x[0], &y[0], &arg[0], &pl, hi-lo, lo*h*w)
}

// unpoolReLUAVX512Planes is poolVersion.unpoolReLU in one assembly call; the trailing odd
// row of each plane done is cleared here.
func unpoolReLUAVX512Planes(p *poolArgs, lo, hi int) int {
	h, w := p.h, p.w
	ohw := (h / 2) * (w / 2)
	dy, arg, dx := p.dy[lo*ohw:hi*ohw], p.arg[lo*ohw:hi*ohw], p.dx[lo*h*w:hi*h*w]
	pl := newPoolPlan(h, w, true)
	done := lo + unpoolReLUAVX512(&dy[0], &arg[0], &dx[0], &pl, hi-lo, lo*h*w)
	if h%2 == 1 {
		for plane := lo; plane < done; plane++ {
			clear(p.dx[(plane+1)*h*w-w : (plane+1)*h*w])
		}
	}
	return done
}

// poolVersions lists the max-pool versions this CPU runs, fastest first.
func poolVersions() []poolVersion {
	vs := []poolVersion{}
	if cpu.X86.HasAVX512F {
		vs = append(vs, poolVersion{"avx512", poolForwardAVX512, unpoolReLUAVX512Planes})
	}
	return append(vs, goPool)
}
