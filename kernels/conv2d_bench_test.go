package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// cnnLayers are the convolutions of the reference CNN (torch_reference.py) at batch 128.
var cnnLayers = []Conv2D{
	{N: 128, C: 1, H: 28, W: 28, K: 32, R: 3, S: 3, Stride: 1, Pad: 1},
	{N: 128, C: 32, H: 14, W: 14, K: 64, R: 3, S: 3, Stride: 1, Pad: 1},
}

func BenchmarkConv2D(b *testing.B) {
	for _, c := range cnnLayers {
		rng := rand.New(rand.NewPCG(1, 2))
		x := randomSigned(rng, c.N*c.C*c.H*c.W)
		w := randomSigned(rng, c.K*c.C*c.R*c.S)
		bias := randomSigned(rng, c.K)
		y := make([]float32, c.N*c.K*c.OutH()*c.OutW())
		col := make([]float32, c.ScratchSize())
		dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.K)
		if c.C == 1 {
			dx = nil // the first layer needs no input gradient
		}
		flop := 2 * float64(c.N*c.K*c.C*c.R*c.S*c.OutH()*c.OutW())
		b.Run(fmt.Sprintf("forward/%s", convName(c)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Conv2DForward(c, x, w, bias, y, col); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("backward/%s", convName(c)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Conv2DBackward(c, x, w, y, dx, dw, db, col); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkConv2DPool times the fused convolution, ReLU and max-pool block on the
// reference CNN's layers (the first layer without an input gradient, as in training).
func BenchmarkConv2DPool(b *testing.B) {
	for _, c := range cnnLayers {
		rng := rand.New(rand.NewPCG(1, 2))
		x := randomSigned(rng, c.N*c.C*c.H*c.W)
		w := randomSigned(rng, c.K*c.C*c.R*c.S)
		bias := randomSigned(rng, c.K)
		np := c.N * c.K * c.PoolOutH() * c.PoolOutW()
		pooled, arg := make([]float32, np), make([]int32, np)
		scratch := make([]float32, c.PoolScratchSize())
		dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.K)
		if c.C == 1 {
			dx = nil
		}
		b.Run(fmt.Sprintf("forward/%s", convName(c)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Conv2DPoolForward(c, x, w, bias, pooled, arg, scratch); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("backward/%s", convName(c)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Conv2DPoolBackward(c, x, w, pooled, arg, dx, dw, db, scratch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMaxPool2x2 times the pooling on the reference CNN's batch shapes and, with the
// ReLU, on one image of each fused block (Conv2DPoolForward/Backward pool per image).
func BenchmarkMaxPool2x2(b *testing.B) {
	for _, s := range []struct {
		n, c, h, w int
		relu       bool
	}{{128, 32, 28, 28, false}, {128, 64, 14, 14, false}, {1, 32, 28, 28, true}, {1, 64, 14, 14, true}} {
		n, c, h, w := s.n, s.c, s.h, s.w
		rng := rand.New(rand.NewPCG(1, 2))
		x := randomSigned(rng, n*c*h*w)
		y, arg := make([]float32, n*c*(h/2)*(w/2)), make([]int32, n*c*(h/2)*(w/2))
		dx := make([]float32, len(x))
		forward, backward, kind := MaxPool2x2Forward, MaxPool2x2Backward, ""
		if s.relu {
			forward, backward, kind = MaxPool2x2ReLUForward, MaxPool2x2ReLUBackward, "relu_"
		}
		b.Run(fmt.Sprintf("%sforward/%dx%dx%dx%d", kind, n, c, h, w), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				if err := forward(n, c, h, w, x, y, arg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%sbackward/%dx%dx%dx%d", kind, n, c, h, w), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				if err := backward(n, c, h, w, y, arg, dx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
