package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// mlpParams is the reference MLP's (784-256-128-10) parameter count.
const mlpParams = 235146

// Bytes one element of an update moves: Adam reads p, g, m, v and writes p, m, v; SGD
// reads p, g, velocity and writes p, velocity.
const (
	adamBytes = 7 * 4
	sgdBytes  = 5 * 4
)

// BenchmarkAdamStep times one Adam step over the MLP's parameters: the reference (the
// scalar loop models.Optimizer used before), each version on one goroutine, and AdamStep
// as wired (best version) on one and two goroutines.
func BenchmarkAdamStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	draw := optimValues[0].draw
	p, g := drawSlice(rng, mlpParams, draw), drawSlice(rng, mlpParams, draw)
	m, v := drawSlice(rng, mlpParams, draw), drawSlice(rng, mlpParams, draw)
	for i, x := range v {
		v[i] = x * x // a second moment is never negative: keep the benchmark off NaNs
	}
	// Step 10 divides by both bias corrections; from step ~165 on c₁ is exactly 1 and the
	// vector versions skip that division.
	for _, step := range []int64{10, 1000} {
		h := NewAdamHyper(1e-3, 0.9, 0.999, 1e-8, 1e-2, step)
		b.Run(fmt.Sprintf("step%d/reference", step), func(b *testing.B) {
			b.SetBytes(adamBytes * mlpParams)
			for b.Loop() {
				AdamReference(p, g, m, v, h)
			}
		})
		k := adamConstsOf(h)
		for _, ver := range adamVersions() {
			b.Run(fmt.Sprintf("step%d/%s/1thread", step, ver.name), func(b *testing.B) {
				b.SetBytes(adamBytes * mlpParams)
				for b.Loop() {
					ver.fn(p, g, m, v, &k)
				}
			})
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("step%d/AdamStep/%dthreads", step, threads), func(b *testing.B) {
				SetThreads(threads)
				defer SetThreads(0)
				b.SetBytes(adamBytes * mlpParams)
				for b.Loop() {
					if err := AdamStep(p, g, m, v, h); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSGDMomentumStep is BenchmarkAdamStep for SGD with momentum (SGDMomentumStep
// runs on one goroutine).
func BenchmarkSGDMomentumStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 1))
	draw := optimValues[0].draw
	p, g, vel := drawSlice(rng, mlpParams, draw), drawSlice(rng, mlpParams, draw), drawSlice(rng, mlpParams, draw)
	h := SGDHyper{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(sgdBytes * mlpParams)
		for b.Loop() {
			SGDMomentumReference(p, g, vel, h)
		}
	})
	for _, ver := range sgdVersions() {
		b.Run(ver.name+"/1thread", func(b *testing.B) {
			b.SetBytes(sgdBytes * mlpParams)
			for b.Loop() {
				ver.fn(p, g, vel, h)
			}
		})
	}
	b.Run("SGDMomentumStep", func(b *testing.B) {
		b.SetBytes(sgdBytes * mlpParams)
		for b.Loop() {
			if err := SGDMomentumStep(p, g, vel, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}
