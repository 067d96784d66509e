package kernels

import "sync/atomic"

// GemmShape is one Sgemm call as a profiler sees it: op(A) is M×K, op(B) is K×N,
// Threads is how many goroutines the call could use and Cut how it was told to divide C.
type GemmShape struct {
	M, N, K        int
	TransA, TransB bool
	Threads        int
	Cut            Cut
}

// Flops is the product's floating-point operations, 2·M·N·K.
func (s GemmShape) Flops() float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) }

// sgemmObserver, when set, is told every Sgemm call's shape. It is an atomic load on the
// hot path and nothing else, so it stays compiled in.
var sgemmObserver atomic.Pointer[func(GemmShape)]

// ObserveSgemm calls f with the shape of every Sgemm call (direct or from a convolution)
// until the returned stop is called. It is for profilers that list the products a model's
// step runs (bench/stepprofile); f is called from whichever goroutine runs the product, so
// it must be safe for concurrent use.
func ObserveSgemm(f func(GemmShape)) (stop func()) {
	sgemmObserver.Store(&f)
	return func() { sgemmObserver.Store(nil) }
}
