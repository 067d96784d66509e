package ops

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// BenchmarkCNNConvLayers times one forward and backward step of the reference CNN's
// feature extractor (conv 32 and 64 3×3 pad 1 with ReLU, each followed by a 2×2 max-pool;
// MNIST-sized input, batch 128) on a tape machine, through this package's ops and
// through gorgonia's Conv2d + BroadcastAdd + Rectify + MaxPool2D as models.Graph built
// it before (with gorgonia's matrix products on kernels.BLAS, as models sets it up).
// cpu-ms/op is the CPU time of all threads per step, steadier than wall time on a
// shared machine.
//
//	go test -run '^$' -bench CNNConvLayers -benchtime 10x ./models/ops/
func BenchmarkCNNConvLayers(b *testing.B) {
	G.Use(kernels.BLAS{})
	for _, impl := range []struct {
		name  string
		stack func(x, w1, b1, w2, b2 *G.Node) (*G.Node, error)
	}{{"dxtrain", convPoolStack}, {"gorgonia", gorgoniaConvPoolStack}} {
		b.Run(impl.name, func(b *testing.B) {
			const batch = 128
			rng := rand.New(rand.NewPCG(1, 1))
			g := G.NewGraph()
			x := convLeaf(g, "x", convRandom(rng, batch*28*28), batch, 1, 28, 28)
			w1 := convLeaf(g, "w1", convRandom(rng, 32*9), 32, 1, 3, 3)
			b1 := convLeaf(g, "b1", convRandom(rng, 32), 1, 32, 1, 1)
			w2 := convLeaf(g, "w2", convRandom(rng, 64*32*9), 64, 32, 3, 3)
			b2 := convLeaf(g, "b2", convRandom(rng, 64), 1, 64, 1, 1)
			p2, err := impl.stack(x, w1, b1, w2, b2)
			if err != nil {
				b.Fatal(err)
			}
			dp2 := convLeaf(g, "dp2", convRandom(rng, p2.Shape().TotalSize()), p2.Shape()...)
			params := G.Nodes{w1, b1, w2, b2}
			if _, err := G.Backpropagate(G.Nodes{p2}, G.Nodes{dp2}, params); err != nil {
				b.Fatal(err)
			}
			vm := G.NewTapeMachine(g, G.BindDualValues(params...))
			defer vm.Close()
			step := func() {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
			step()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPUTime()
			for range b.N {
				step()
			}
			cpu := processCPUTime() - cpu0
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// gorgoniaConvPoolStack is the same two blocks with gorgonia's own ops.
func gorgoniaConvPoolStack(x, w1, b1, w2, b2 *G.Node) (*G.Node, error) {
	cur := x
	for _, l := range []struct{ w, b *G.Node }{{w1, b1}, {w2, b2}} {
		y, err := G.Conv2d(cur, l.w, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
		if err != nil {
			return nil, err
		}
		if y, err = G.BroadcastAdd(y, l.b, nil, []byte{0, 2, 3}); err != nil {
			return nil, err
		}
		if y, err = G.Rectify(y); err != nil {
			return nil, err
		}
		if cur, err = G.MaxPool2D(y, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}); err != nil {
			return nil, err
		}
	}
	return cur, nil
}
