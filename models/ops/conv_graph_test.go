package ops

import (
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// cnnFixture is the CNN's feature extractor in miniature, as models.Graph builds it:
// conv+ReLU, pool, conv+ReLU, pool, flatten, a gorgonia MatMul and loss Σ z·R, with
// gradients from G.Grad and dual values bound to the parameters.
type cnnFixture struct {
	c1, c2             kernels.Conv2D
	x, w1, b1, w2, b2  []float32
	wd, r              []float32
	outputs            int
	params             G.Nodes
	grads              G.Nodes
	vm                 G.VM
	xNode, pool2, flat *G.Node
}

// newCNNFixture builds the graph; withX asks for the gradient of the input data too.
func newCNNFixture(t *testing.T, withX bool) *cnnFixture {
	t.Helper()
	f := &cnnFixture{
		c1:      kernels.Conv2D{N: 3, C: 2, H: 10, W: 9, K: 4, R: 3, S: 3, Stride: 1, Pad: 1},
		c2:      kernels.Conv2D{N: 3, C: 4, H: 5, W: 4, K: 5, R: 3, S: 3, Stride: 1, Pad: 1},
		outputs: 6,
	}
	c1, c2 := f.c1, f.c2
	feat := c2.K * (c2.OutH() / 2) * (c2.OutW() / 2)
	f.x = make([]float32, c1.N*c1.C*c1.H*c1.W)
	f.w1, f.b1 = make([]float32, c1.K*c1.C*9), make([]float32, c1.K)
	f.w2, f.b2 = make([]float32, c2.K*c2.C*9), make([]float32, c2.K)
	f.wd, f.r = make([]float32, feat*f.outputs), make([]float32, c1.N*f.outputs)
	f.fill(1)

	g := G.NewGraph()
	f.xNode = convLeaf(g, "x", f.x, c1.N, c1.C, c1.H, c1.W)
	w1 := convLeaf(g, "w1", f.w1, c1.K, c1.C, 3, 3)
	b1 := convLeaf(g, "b1", f.b1, 1, c1.K, 1, 1)
	w2 := convLeaf(g, "w2", f.w2, c2.K, c2.C, 3, 3)
	b2 := convLeaf(g, "b2", f.b2, c2.K)
	wd := convLeaf(g, "wd", f.wd, feat, f.outputs)
	r := convLeaf(g, "R", f.r, c1.N, f.outputs)
	f.params = G.Nodes{w1, b1, w2, b2, wd}
	if withX {
		f.params = append(G.Nodes{f.xNode}, f.params...)
	}

	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	y1 := must(Conv2D(f.xNode, w1, b1, 1, 1, true))
	p1 := must(MaxPool2x2(y1))
	y2 := must(Conv2D(p1, w2, b2, 1, 1, true))
	f.pool2 = must(MaxPool2x2(y2))
	f.flat = must(G.Reshape(f.pool2, tensor.Shape{c1.N, feat}))
	z := must(G.Mul(f.flat, wd))
	loss := must(G.Sum(must(G.HadamardProd(z, r))))
	var err error
	if f.grads, err = G.Grad(loss, f.params...); err != nil {
		t.Fatal(err)
	}
	f.vm = G.NewTapeMachine(g, G.BindDualValues(f.params...))
	t.Cleanup(func() { f.vm.Close() })
	return f
}

// fill overwrites every input in place with new random values.
func (f *cnnFixture) fill(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	for _, s := range [][]float32{f.x, f.w1, f.b1, f.w2, f.b2, f.wd, f.r} {
		copy(s, convRandom(rng, len(s)))
	}
}

// reference computes the gradients of every parameter with the kernels' reference
// convolution and max-pool, in the order of f.params.
func (f *cnnFixture) reference(t *testing.T) [][]float32 {
	t.Helper()
	c1, c2 := f.c1, f.c2
	y1 := convReferenceForward(t, c1, f.x, f.w1, f.b1, true)
	p1, a1 := kernels.MaxPoolReference(c1.N, c1.K, c1.OutH(), c1.OutW(), 2, 2, y1)
	y2 := convReferenceForward(t, c2, p1, f.w2, f.b2, true)
	p2, a2 := kernels.MaxPoolReference(c2.N, c2.K, c2.OutH(), c2.OutW(), 2, 2, y2)
	feat := len(p2) / c1.N
	// z = flat·wd, dz = R: dwd = flatᵀ·R, dflat = R·wdᵀ.
	dwd := make([]float32, len(f.wd))
	dp2 := make([]float32, len(p2))
	for n := range c1.N {
		for i := range feat {
			var s float64
			for o := range f.outputs {
				dwd[i*f.outputs+o] += p2[n*feat+i] * f.r[n*f.outputs+o]
				s += float64(f.r[n*f.outputs+o]) * float64(f.wd[i*f.outputs+o])
			}
			dp2[n*feat+i] = float32(s)
		}
	}
	unpool := func(dp []float32, argmax []int, y []float32) []float32 {
		dy := make([]float32, len(y))
		for i, a := range argmax {
			dy[a] += dp[i]
		}
		for i, v := range y {
			if v <= 0 {
				dy[i] = 0
			}
		}
		return dy
	}
	dy2 := unpool(dp2, a2, y2)
	dp1, dw2, db2 := make([]float32, len(p1)), make([]float32, len(f.w2)), make([]float32, len(f.b2))
	if err := kernels.Conv2DBackwardReference(c2, p1, f.w2, dy2, dp1, dw2, db2); err != nil {
		t.Fatal(err)
	}
	dy1 := unpool(dp1, a1, y1)
	dx, dw1, db1 := make([]float32, len(f.x)), make([]float32, len(f.w1)), make([]float32, len(f.b1))
	if err := kernels.Conv2DBackwardReference(c1, f.x, f.w1, dy1, dx, dw1, db1); err != nil {
		t.Fatal(err)
	}
	grads := [][]float32{dw1, db1, dw2, db2, dwd}
	if len(f.params) > len(grads) {
		grads = append([][]float32{dx}, grads...)
	}
	return grads
}

// check runs one step and compares the gradient nodes and the dual values with the
// reference, then zeroes the dual values (gorgonia accumulates into them) as
// models.Graph does.
func (f *cnnFixture) check(t *testing.T) {
	t.Helper()
	want := f.reference(t)
	f.vm.Reset()
	if err := f.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i, p := range f.params {
		got := convValues(t, f.grads[i])
		if j := convClose(got, want[i], 1e-4); j >= 0 {
			t.Errorf("gradient node of %s: [%d] = %g, reference %g", p.Name(), j, got[j], want[i][j])
		}
		dv, err := p.Grad()
		if err != nil {
			t.Fatalf("dual value of %s: %v", p.Name(), err)
		}
		dual := dv.Data().([]float32)
		if j := convClose(dual, want[i], 1e-4); j >= 0 {
			t.Errorf("dual value of %s: [%d] = %g, reference %g", p.Name(), j, dual[j], want[i][j])
		}
		dv.(tensor.Tensor).Zero()
	}
}

// TestCNNGraphSuccessiveRuns runs the miniature CNN on one tape machine with new inputs
// and parameters each step: every forward value the backward reads (x, y for the ReLU
// mask, the argmax) must be this step's, none overwritten in place by the tape machine,
// and no gradient stale or accumulated from the step before.
func TestCNNGraphSuccessiveRuns(t *testing.T) {
	f := newCNNFixture(t, true)
	for step := range 3 {
		f.fill(uint64(10 + step))
		f.check(t)
		if t.Failed() {
			t.Fatalf("step %d", step)
		}
	}
}

// TestConvPoolStepAllocations measures what one tape-machine step of two conv+pool
// layers (forward and backward, gradients bound to dual values) allocates once warmed:
// only gorgonia's own bookkeeping, far less than one activation tensor.
func TestConvPoolStepAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled values: allocation counts mean nothing")
	}
	rng := rand.New(rand.NewPCG(3, 3))
	c1 := kernels.Conv2D{N: 8, C: 1, H: 28, W: 28, K: 8, R: 3, S: 3, Stride: 1, Pad: 1}
	c2 := kernels.Conv2D{N: 8, C: 8, H: 14, W: 14, K: 16, R: 3, S: 3, Stride: 1, Pad: 1}
	g := G.NewGraph()
	x := convLeaf(g, "x", convRandom(rng, c1.N*c1.H*c1.W), c1.N, c1.C, c1.H, c1.W)
	w1 := convLeaf(g, "w1", convRandom(rng, c1.K*9), c1.K, c1.C, 3, 3)
	b1 := convLeaf(g, "b1", convRandom(rng, c1.K), c1.K)
	w2 := convLeaf(g, "w2", convRandom(rng, c2.K*c2.C*9), c2.K, c2.C, 3, 3)
	b2 := convLeaf(g, "b2", convRandom(rng, c2.K), c2.K)
	p2, err := convPoolStack(x, w1, b1, w2, b2)
	if err != nil {
		t.Fatal(err)
	}
	dp2 := convLeaf(g, "dp2", convRandom(rng, p2.Shape().TotalSize()), p2.Shape()...)
	params := G.Nodes{w1, b1, w2, b2}
	if _, err := G.Backpropagate(G.Nodes{p2}, G.Nodes{dp2}, params); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	step := func() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	step()
	allocs := testing.AllocsPerRun(10, step)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const steps = 10
	for range steps {
		step()
	}
	runtime.ReadMemStats(&after)
	perStep := (after.TotalAlloc - before.TotalAlloc) / steps
	activation := uint64(c1.N*c1.K*c1.H*c1.W) * 4
	t.Logf("%.0f allocations, %d bytes per step (one activation tensor is %d bytes)", allocs, perStep, activation)
	// The ops allocate no buffers per step. What remains is small: the tape machine's
	// bookkeeping (about 85 allocations here), the kernels' argument checks (a few
	// strings per call, one call per chunk of images) and the chunks' goroutines.
	if allocs > 400 || perStep > activation/16 {
		t.Fatalf("a step allocates %.0f times, %d bytes; want at most 400 and %d", allocs, perStep, activation/16)
	}
}

// convPoolStack is the CNN's two conv+ReLU+pool blocks through this package's ops.
func convPoolStack(x, w1, b1, w2, b2 *G.Node) (*G.Node, error) {
	y1, err := Conv2D(x, w1, b1, 1, 1, true)
	if err != nil {
		return nil, err
	}
	p1, err := MaxPool2x2(y1)
	if err != nil {
		return nil, err
	}
	y2, err := Conv2D(p1, w2, b2, 1, 1, true)
	if err != nil {
		return nil, err
	}
	return MaxPool2x2(y2)
}

// TestConv2DOutputAliasedByReshape covers the tape machine's in-place hazard: Reshape
// returns a clone sharing y's array, and the Add after it overwrites that array in place
// (its input's register is dead), so a ReLU mask read from y itself would be wrong. The
// op keeps a private copy of y in that case, and only then.
func TestConv2DOutputAliasedByReshape(t *testing.T) {
	c := kernels.Conv2D{N: 2, C: 2, H: 5, W: 5, K: 3, R: 3, S: 3, Stride: 1, Pad: 1}
	rng := rand.New(rand.NewPCG(1, 1))
	g := G.NewGraph()
	x := fdLeaf{name: "x", data: convRandom(rng, c.N*c.C*c.H*c.W)}
	w := fdLeaf{name: "w", data: convRandom(rng, c.K*c.C*9)}
	b := fdLeaf{name: "b", data: convRandom(rng, c.K)}
	x.node = convLeaf(g, "x", x.data, c.N, c.C, c.H, c.W)
	w.node = convLeaf(g, "w", w.data, c.K, c.C, 3, 3)
	b.node = convLeaf(g, "b", b.data, c.K)
	y, err := Conv2D(x.node, w.node, b.node, 1, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	feat := c.K * c.H * c.W
	flat, err := G.Reshape(y, tensor.Shape{c.N, feat})
	if err != nil {
		t.Fatal(err)
	}
	shifted, err := G.Add(flat, convLeaf(g, "shift", convRandom(rng, c.N*feat), c.N, feat))
	if err != nil {
		t.Fatal(err)
	}
	z, err := G.Mul(shifted, convLeaf(g, "m", convRandom(rng, feat*4), feat, 4))
	if err != nil {
		t.Fatal(err)
	}
	fdCheck(t, g, z, []fdLeaf{x, w, b}, reluSigns(y), 2e-3, 2e-3)
	if y.Op().(*conv2DOp).yKeep == nil {
		t.Error("y is aliased by a Reshape but the op kept no copy of it")
	}
}

// TestCNNKeepsNoCopies checks that the CNN's convolutions, whose outputs only feed a
// pool and their grad op, pay for no private copy of y, and that the first one computes
// no dx for the data when nothing asks for it, with the other gradients still right.
func TestCNNKeepsNoCopies(t *testing.T) {
	f := newCNNFixture(t, false)
	for step := range 2 {
		f.fill(uint64(20 + step))
		f.check(t)
	}
	for _, n := range f.xNode.Graph().AllNodes() {
		switch op := n.Op().(type) {
		case *conv2DOp:
			if op.yKeep != nil {
				t.Errorf("%v keeps a copy of y", op)
			}
		case *conv2DGradOp:
			if want := op.fwd.geom != f.c1; op.wantDX() != want {
				t.Errorf("%v computes dx: %t, want %t", op, op.wantDX(), want)
			}
		}
	}
}

// TestConv2DInputAliasedByReshape is the same hazard on the convolution's input, which
// the grad op reads for dw: here a pooled tensor that also feeds a Reshape and an Add.
func TestConv2DInputAliasedByReshape(t *testing.T) {
	c := kernels.Conv2D{N: 2, C: 2, H: 4, W: 3, K: 3, R: 3, S: 3, Stride: 1, Pad: 1}
	rng := rand.New(rand.NewPCG(2, 2))
	g := G.NewGraph()
	x := fdLeaf{name: "x", data: convRandom(rng, c.N*c.C*2*c.H*2*c.W)}
	w := fdLeaf{name: "w", data: convRandom(rng, c.K*c.C*9)}
	b := fdLeaf{name: "b", data: convRandom(rng, c.K)}
	x.node = convLeaf(g, "x", x.data, c.N, c.C, 2*c.H, 2*c.W)
	w.node = convLeaf(g, "w", w.data, c.K, c.C, 3, 3)
	b.node = convLeaf(g, "b", b.data, c.K)
	p, err := MaxPool2x2(x.node)
	if err != nil {
		t.Fatal(err)
	}
	y, err := Conv2D(p, w.node, b.node, 1, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	yFeat, pFeat := c.K*c.H*c.W, c.C*c.H*c.W
	yFlat, err := G.Reshape(y, tensor.Shape{c.N, yFeat})
	if err != nil {
		t.Fatal(err)
	}
	pFlat, err := G.Reshape(p, tensor.Shape{c.N, pFeat})
	if err != nil {
		t.Fatal(err)
	}
	pShifted, err := G.Add(pFlat, convLeaf(g, "shift", convRandom(rng, c.N*pFeat), c.N, pFeat))
	if err != nil {
		t.Fatal(err)
	}
	zy, err := G.Mul(yFlat, convLeaf(g, "my", convRandom(rng, yFeat*4), yFeat, 4))
	if err != nil {
		t.Fatal(err)
	}
	zp, err := G.Mul(pShifted, convLeaf(g, "mp", convRandom(rng, pFeat*4), pFeat, 4))
	if err != nil {
		t.Fatal(err)
	}
	z, err := G.Add(zy, zp)
	if err != nil {
		t.Fatal(err)
	}
	fdCheck(t, g, z, []fdLeaf{x, w, b}, poolArgmax(p), 1e-3, 2e-3)
	if y.Op().(*conv2DOp).xKeep == nil {
		t.Error("x is aliased by a Reshape but the op kept no copy of it")
	}
}
