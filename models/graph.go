package models

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/models/ops"
)

// Graph is a network compiled into a gorgonia expression graph for one batch size:
// forward pass, weighted loss and symbolic gradients (gorgonia's G.Grad over the ops of
// models/ops), run every step by an executor built once. Parameter tensors share their
// backing arrays with the Params, so an optimizer that updates Param.Data in place is
// seen by the next step without copying.
type Graph struct {
	net    Network
	params []*Param
	batch  int

	g          *G.ExprGraph
	x, y, w    *G.Node // input, target (one-hot or 0/1), per-sample weights summing to 1
	xT, yT, wT *tensor.Dense
	input      *ops.Input // the batch read in place, when every reader of x allows it; else x is copied into xT
	paramNodes G.Nodes
	boundTo    []*Param // boundTo[i] is the Param behind paramNodes[i]
	logits     *G.Node
	loss       *G.Node
	exec       *executor
	gradSlots  []int // gradSlots[i] holds the gradient of paramNodes[i] after a run
	lossSlot   int
}

// graphBuild serialises NewGraph: gorgonia numbers node groups from an unguarded package
// counter, and one process may build several ranks' graphs at once (replay, tests).
var graphBuild sync.Mutex

// NewGraph compiles net for batches of exactly batch samples. Smaller final batches
// are padded by the caller with zero-weight rows, so one graph serves every step.
func NewGraph(net Network, params []*Param, batch int) (*Graph, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, fmt.Errorf("graph %s: batch %d, must be positive", net.Architecture, batch)
	}
	graphBuild.Lock()
	defer graphBuild.Unlock()
	gr := &Graph{net: net, params: params, batch: batch, g: G.NewGraph()}
	gradNodes, err := gr.build()
	if err != nil {
		return nil, fmt.Errorf("graph %s: %w", net.Architecture, err)
	}
	if gr.exec, err = newExecutor(gr.g); err != nil {
		return nil, fmt.Errorf("graph %s: %w", net.Architecture, err)
	}
	for _, n := range gradNodes {
		s, err := gr.exec.slot(n)
		if err != nil {
			return nil, fmt.Errorf("graph %s: gradient: %w", net.Architecture, err)
		}
		gr.gradSlots = append(gr.gradSlots, s)
	}
	if err := gr.bindGradients(gradNodes); err != nil {
		return nil, fmt.Errorf("graph %s: %w", net.Architecture, err)
	}
	if gr.lossSlot, err = gr.exec.slot(gr.loss); err != nil {
		return nil, fmt.Errorf("graph %s: loss: %w", net.Architecture, err)
	}
	if err := gr.readInputInPlace(); err != nil {
		return nil, fmt.Errorf("graph %s: %w", net.Architecture, err)
	}
	return gr, nil
}

// readInputInPlace has the ops read each batch's inputs from the caller's slice instead of
// a copy, when every op that reads x can (ops.ReadsInPlace).
func (gr *Graph) readInputInPlace() error {
	for it := gr.g.To(gr.x.ID()); it.Next(); {
		n, ok := it.Node().(*G.Node)
		if !ok || n.Op() == nil || !ops.ReadsInPlace(n.Op()) {
			return nil
		}
	}
	in := ops.NewInput(gr.xT.Shape())
	if err := gr.exec.bind(gr.x, in); err != nil {
		return err
	}
	gr.input = in
	return nil
}

// build adds the network, its loss and their gradients to the graph and returns the
// gradient nodes, one per parameter node.
func (gr *Graph) build() (G.Nodes, error) {
	byName := make(map[string]*Param, len(gr.params))
	for _, p := range gr.params {
		byName[p.Name] = p
	}
	xShape := append([]int{gr.batch}, gr.net.InputShape...)
	gr.xT = tensor.New(tensor.WithShape(xShape...), tensor.Of(tensor.Float32))
	gr.x = G.NewTensor(gr.g, tensor.Float32, len(xShape), G.WithShape(xShape...), G.WithName("x"), G.WithValue(gr.xT))

	cur := gr.x
	layers := gr.net.Layers
	for i := 0; i < len(layers); i++ {
		l := layers[i]
		// A ReLU right after a dense or conv layer runs inside it, and a conv, ReLU,
		// 2×2 max-pool block is one op (ops.Conv2DReLUPool: each image pooled while it is
		// in cache); a flatten right before a dense layer is free (Dense reads a 4-D input
		// as rows).
		relu := i+1 < len(layers) && layers[i+1].Op == OpReLU && (l.Op == OpDense || l.Op == OpConv2D)
		if l.Op == OpFlatten && i+1 < len(layers) && layers[i+1].Op == OpDense {
			continue
		}
		if relu && l.Op == OpConv2D && i+2 < len(layers) && pool2x2(layers[i+2]) {
			w, b, err := gr.convParams(l, byName)
			if err != nil {
				return nil, fmt.Errorf("layer %d (%s): %w", i, l.Op, err)
			}
			if cur, err = ops.Conv2DReLUPool(cur, w, b, l.Pad, l.Stride); err != nil {
				return nil, fmt.Errorf("layers %d-%d (conv2d, relu, maxpool): %w", i, i+2, err)
			}
			i += 2
			continue
		}
		next, err := gr.layer(l, byName, cur, relu)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Op, err)
		}
		if relu {
			i++
		}
		cur = next
	}
	gr.logits = cur
	if err := gr.buildLoss(); err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	grads, err := G.Grad(gr.loss, gr.paramNodes...)
	if err != nil {
		return nil, fmt.Errorf("gradients: %w", err)
	}
	return grads, nil
}

// paramNode binds a parameter to a graph node; shape may differ from p.Shape when the
// graph needs another view of the same values.
func (gr *Graph) paramNode(p *Param, shape ...int) *G.Node {
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(p.Data))
	n := G.NewTensor(gr.g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(p.Name), G.WithValue(t))
	gr.paramNodes = append(gr.paramNodes, n)
	gr.boundTo = append(gr.boundTo, p)
	return n
}

func (gr *Graph) layer(l Layer, params map[string]*Param, x *G.Node, relu bool) (*G.Node, error) {
	switch l.Op {
	case OpDense:
		wp, bp, err := paramsOf(l, params)
		if err != nil {
			return nil, err
		}
		w := gr.paramNode(wp, l.Out, l.In)
		b := gr.paramNode(bp, l.Out)
		// The gradient of the network's input is never needed.
		return ops.Dense(x, w, b, relu, x != gr.x)
	case OpReLU:
		return ops.Activate(ops.ReLU, x)
	case OpSigmoid:
		return ops.Activate(ops.Sigmoid, x)
	case OpFlatten:
		return nil, fmt.Errorf("flatten must be followed by a dense layer")
	case OpConv2D:
		w, b, err := gr.convParams(l, params)
		if err != nil {
			return nil, err
		}
		return ops.Conv2D(x, w, b, l.Pad, l.Stride, relu)
	case OpMaxPool:
		if pool2x2(l) {
			return ops.MaxPool2x2(x)
		}
		return G.MaxPool2D(x, tensor.Shape{l.Kernel, l.Kernel}, []int{0, 0}, []int{l.Stride, l.Stride})
	}
	return nil, fmt.Errorf("unknown op %q", l.Op)
}

// convParams binds a convolution's weight and bias.
func (gr *Graph) convParams(l Layer, params map[string]*Param) (w, b *G.Node, err error) {
	wp, bp, err := paramsOf(l, params)
	if err != nil {
		return nil, nil, err
	}
	return gr.paramNode(wp, l.Out, l.In, l.Kernel, l.Kernel), gr.paramNode(bp, l.Out), nil
}

// pool2x2 reports whether l is a max-pool that ops.MaxPool2x2 computes.
func pool2x2(l Layer) bool { return l.Op == OpMaxPool && l.Kernel == 2 && l.Stride == 2 }

func paramsOf(l Layer, params map[string]*Param) (*Param, *Param, error) {
	w, ok := params[l.Weight]
	if !ok {
		return nil, nil, fmt.Errorf("parameter %q missing", l.Weight)
	}
	b, ok := params[l.Bias]
	if !ok {
		return nil, nil, fmt.Errorf("parameter %q missing", l.Bias)
	}
	return w, b, nil
}

// buildLoss is the weighted mean cross-entropy of the head, one fused op whose
// gradient with respect to the logits is w·(p − y).
func (gr *Graph) buildLoss() error {
	outputs := gr.net.Outputs()
	gr.yT = tensor.New(tensor.WithShape(gr.batch, outputs), tensor.Of(tensor.Float32))
	gr.y = G.NewMatrix(gr.g, tensor.Float32, G.WithShape(gr.batch, outputs), G.WithName("y"), G.WithValue(gr.yT))
	gr.wT = tensor.New(tensor.WithShape(gr.batch, 1), tensor.Of(tensor.Float32))
	gr.w = G.NewMatrix(gr.g, tensor.Float32, G.WithShape(gr.batch, 1), G.WithName("weights"), G.WithValue(gr.wT))
	head := ops.SoftmaxHead
	if gr.net.Head == HeadSigmoid {
		head = ops.SigmoidHead
	}
	var err error
	gr.loss, err = ops.CrossEntropy(head, gr.logits, gr.y, gr.w)
	return err
}

// Batch is one padded mini-batch in the layout a Graph takes.
type Batch struct {
	X       []float32 // batch × InputSize
	Labels  []int32   // batch class indices
	Weights []float32 // batch weights summing to 1; padding rows weigh 0
}

// Step runs forward and backward on one batch, leaves the gradients in every Param's
// Grad and returns the loss.
func (gr *Graph) Step(b Batch) (float32, error) {
	if err := gr.load(b); err != nil {
		return 0, err
	}
	err := gr.exec.run()
	if gr.input != nil {
		_ = gr.input.Bind(nil) // the graph keeps no reference to the caller's batch
	}
	if err != nil {
		return 0, fmt.Errorf("graph %s: run: %w", gr.net.Architecture, err)
	}
	for i, slot := range gr.gradSlots {
		v := gr.exec.values[slot]
		gt, ok := v.(*tensor.Dense)
		if !ok || gt.Dtype() != tensor.Float32 || len(gt.Float32s()) != len(gr.boundTo[i].Grad) {
			return 0, fmt.Errorf("graph %s: gradient of %s is %T of the wrong size", gr.net.Architecture, gr.boundTo[i].Name, v)
		}
		if g := gt.Float32s(); !sameArray(g, gr.boundTo[i].Grad) {
			copy(gr.boundTo[i].Grad, g)
		}
	}
	loss, ok := gr.exec.values[gr.lossSlot].(*G.F32)
	if !ok {
		return 0, fmt.Errorf("graph %s: loss is %T, want a float32 scalar", gr.net.Architecture, gr.exec.values[gr.lossSlot])
	}
	return float32(*loss), nil
}

// bindGradients points each gradient op that allows it (ops.OutputBinder) at its Param's
// Grad, so that Step need not copy the gradient there. An op that gradients share, or that
// cannot be bound, keeps its own buffer and Step copies from it.
func (gr *Graph) bindGradients(gradNodes G.Nodes) error {
	seen := map[G.Op]int{}
	for _, n := range gradNodes {
		seen[n.Op()]++
	}
	for i, n := range gradNodes {
		b, ok := n.Op().(ops.OutputBinder)
		if !ok || seen[n.Op()] > 1 || len(gr.boundTo[i].Grad) != n.Shape().TotalSize() {
			continue
		}
		if err := b.BindOutput(gr.boundTo[i].Grad); err != nil {
			return fmt.Errorf("gradient of %s: %w", gr.boundTo[i].Name, err)
		}
	}
	return nil
}

// sameArray reports whether a and b are the same values in memory.
func sameArray(a, b []float32) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (gr *Graph) load(b Batch) error {
	xs, ys, ws := gr.xT.Float32s(), gr.yT.Float32s(), gr.wT.Float32s()
	if len(b.X) != len(xs) || len(b.Labels) != gr.batch || len(b.Weights) != gr.batch {
		return fmt.Errorf("graph %s: batch of %d values, %d labels, %d weights; want %d, %d, %d",
			gr.net.Architecture, len(b.X), len(b.Labels), len(b.Weights), len(xs), gr.batch, gr.batch)
	}
	copy(ws, b.Weights)
	outputs := gr.net.Outputs()
	clear(ys)
	for i, label := range b.Labels {
		if label < 0 || int(label) >= gr.net.Classes {
			return fmt.Errorf("graph %s: label %d of sample %d outside [0, %d)", gr.net.Architecture, label, i, gr.net.Classes)
		}
		if outputs == 1 {
			ys[i] = float32(label)
		} else {
			ys[i*outputs+int(label)] = 1
		}
	}
	if gr.input != nil {
		return gr.input.Bind(b.X) // read in place; Step unbinds it
	}
	copy(xs, b.X)
	return nil
}

// Close releases the graph's buffers to the garbage collector.
func (gr *Graph) Close() error {
	gr.exec = nil
	return nil
}
