package models

import (
	"fmt"
	"math"

	"github.com/dxtrain/dxtrain/kernels"
)

// Infer runs the network forward without gorgonia on n samples (row-major, n × InputSize
// values, already standardised) and returns the probabilities: n values for a sigmoid
// head (the positive class), n × Classes for a softmax head. It is the reference the
// gorgonia graph (its op wiring, loss and gradients) and the ONNX export are checked
// against, and the inference path for evaluation, where no gradients are needed; its
// products are the kernels package's, themselves checked against direct references.
// Samples go through in chunks of InferChunk, so a validation split costs a training
// batch's working set rather than its whole activations (a CNN's first layer over
// 10,590 images is 1 GB, and clearing and copying it cost more than the convolution).
func Infer(net Network, params []*Param, x []float32, n int) ([]float32, error) {
	if len(x) != n*net.InputSize() {
		return nil, fmt.Errorf("infer %s: input has %d values, want %d samples × %d", net.Architecture, len(x), n, net.InputSize())
	}
	byName := make(map[string]*Param, len(params))
	for _, p := range params {
		byName[p.Name] = p
	}
	in, outs := net.InputSize(), net.Outputs()
	probs := make([]float32, n*outs)
	var ws inferScratch
	for lo := 0; lo < n; lo += InferChunk {
		m := min(InferChunk, n-lo)
		logits, err := ws.forward(net, byName, x[lo*in:(lo+m)*in], m)
		if err != nil {
			return nil, err
		}
		copy(probs[lo*outs:(lo+m)*outs], logits)
	}
	applyHead(net.Head, probs, outs)
	return probs, nil
}

// InferChunk is how many samples Infer carries through the layers at once: a training
// batch's worth, large enough for SGEMM to run at speed. Every sample's outputs are the
// same in any chunk (convolutions go one image at a time, and a product's row does not
// depend on the other rows: TestInferRowsIndependent).
const InferChunk = 256

// inferScratch holds the buffers of one chunk's forward pass, reused chunk after chunk:
// two activations used in turn, the convolution's im2col scratch and pooling's argmax.
type inferScratch struct {
	act     [2][]float32
	conv    []float32
	argmax  []int32
	current int
}

// next is an activation buffer of size values that does not alias the current input.
func (ws *inferScratch) next(size int) []float32 {
	ws.current ^= 1
	if cap(ws.act[ws.current]) < size {
		ws.act[ws.current] = make([]float32, size)
	}
	return ws.act[ws.current][:size]
}

// forward returns the logits of m samples, in a buffer the next call reuses.
func (ws *inferScratch) forward(net Network, byName map[string]*Param, x []float32, m int) ([]float32, error) {
	shape := append([]int{m}, net.InputShape...)
	cur, owned := x, false // owned: cur is a scratch buffer that in-place ops may change
	for i, l := range net.Layers {
		var err error
		cur, shape, owned, err = ws.layer(l, byName, cur, shape, owned)
		if err != nil {
			return nil, fmt.Errorf("infer %s: layer %d (%s): %w", net.Architecture, i, l.Op, err)
		}
	}
	if got := shape[len(shape)-1]; len(shape) != 2 || got != net.Outputs() {
		return nil, fmt.Errorf("infer %s: logits shaped %v, want [%d %d]", net.Architecture, shape, m, net.Outputs())
	}
	return cur, nil
}

func (ws *inferScratch) layer(l Layer, params map[string]*Param, x []float32, shape []int, owned bool) ([]float32, []int, bool, error) {
	switch l.Op {
	case OpDense:
		w, b, err := weightAndBias(l, params, l.In*l.Out, l.Out)
		if err != nil {
			return nil, nil, false, err
		}
		if len(shape) != 2 || shape[1] != l.In {
			return nil, nil, false, fmt.Errorf("input shaped %v, want [n %d]", shape, l.In)
		}
		y := ws.next(shape[0] * l.Out)
		denseForward(x, shape[0], l.In, l.Out, w, b, y)
		return y, []int{shape[0], l.Out}, true, nil
	case OpReLU, OpSigmoid:
		if !owned {
			x = append(ws.next(len(x))[:0], x...)
		}
		if l.Op == OpReLU {
			kernels.ReLUBackward(x, x, x) // the training's ReLU: its vector kernel, in place
		} else {
			for i, v := range x {
				x[i] = sigmoid32(v)
			}
		}
		return x, shape, true, nil
	case OpFlatten:
		if len(shape) < 2 {
			return nil, nil, false, fmt.Errorf("input shaped %v, need a batch dimension", shape)
		}
		size := 1
		for _, d := range shape[1:] {
			size *= d
		}
		return x, []int{shape[0], size}, owned, nil
	case OpConv2D:
		w, b, err := weightAndBias(l, params, l.Out*l.In*l.Kernel*l.Kernel, l.Out)
		if err != nil {
			return nil, nil, false, err
		}
		if len(shape) != 4 || shape[1] != l.In {
			return nil, nil, false, fmt.Errorf("input shaped %v, want [n %d h w]", shape, l.In)
		}
		y, yshape, err := ws.conv2D(x, shape, l, w, b)
		return y, yshape, true, err
	case OpMaxPool:
		if len(shape) != 4 {
			return nil, nil, false, fmt.Errorf("input shaped %v, want [n c h w]", shape)
		}
		y, yshape, err := ws.maxPool(x, shape, l.Kernel, l.Stride)
		return y, yshape, true, err
	}
	return nil, nil, false, fmt.Errorf("unknown op %q", l.Op)
}

func weightAndBias(l Layer, params map[string]*Param, wSize, bSize int) ([]float32, []float32, error) {
	w, ok := params[l.Weight]
	if !ok || len(w.Data) != wSize {
		return nil, nil, fmt.Errorf("weight %q missing or not %d values", l.Weight, wSize)
	}
	b, ok := params[l.Bias]
	if !ok || len(b.Data) != bSize {
		return nil, nil, fmt.Errorf("bias %q missing or not %d values", l.Bias, bSize)
	}
	return w.Data, b.Data, nil
}

// denseForward is y = x·Wᵀ + b (W is [out, in]) through the training's SGEMM, so evaluation of a large
// validation split costs what a forward step costs (the plain loops took ~500 ms for
// 256 records of a 784-2048-2048-10 MLP, on the step loop at every checkpoint).
func denseForward(x []float32, n, in, out int, w, b, y []float32) {
	for r := 0; r < n; r++ {
		copy(y[r*out:(r+1)*out], b)
	}
	kernels.Sgemm(false, true, n, out, in, 1, x, in, w, in, 1, y, out)
}

// conv2D is the NCHW convolution by im2col and SGEMM (kernels.Conv2DForward,
// checked against its direct reference in package kernels).
func (ws *inferScratch) conv2D(x []float32, shape []int, l Layer, w, b []float32) ([]float32, []int, error) {
	geom := kernels.Conv2D{N: shape[0], C: shape[1], H: shape[2], W: shape[3], K: l.Out, R: l.Kernel, S: l.Kernel,
		Stride: max(l.Stride, 1), Pad: l.Pad}
	if err := geom.Validate(); err != nil {
		return nil, nil, err
	}
	if cap(ws.conv) < geom.ScratchSize() {
		ws.conv = make([]float32, geom.ScratchSize())
	}
	y := ws.next(geom.N * geom.K * geom.OutH() * geom.OutW())
	if err := kernels.Conv2DForward(geom, x, w, b, y, ws.conv[:geom.ScratchSize()]); err != nil {
		return nil, nil, err
	}
	return y, []int{geom.N, geom.K, geom.OutH(), geom.OutW()}, nil
}

// maxPool takes the training's pooling kernel for the 2×2 stride-2 window (the only
// one the architectures build; it is checked against kernels.MaxPoolReference), and
// a plain loop for any other.
func (ws *inferScratch) maxPool(x []float32, shape []int, k, s int) ([]float32, []int, error) {
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	if s == 0 {
		s = k
	}
	oh, ow := (h-k)/s+1, (w-k)/s+1
	if k <= 0 || oh <= 0 || ow <= 0 {
		return nil, nil, fmt.Errorf("pool window %d does not fit %dx%d", k, h, w)
	}
	y := ws.next(n * c * oh * ow)
	if k == 2 && s == 2 {
		if cap(ws.argmax) < len(y) {
			ws.argmax = make([]int32, len(y))
		}
		err := kernels.MaxPool2x2Forward(n, c, h, w, x, y, ws.argmax[:len(y)])
		return y, []int{n, c, oh, ow}, err
	}
	for plane := 0; plane < n*c; plane++ {
		in := x[plane*h*w : (plane+1)*h*w]
		out := y[plane*oh*ow : (plane+1)*oh*ow]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				m := float32(math.Inf(-1))
				for ky := 0; ky < k; ky++ {
					for kx := 0; kx < k; kx++ {
						if v := in[(oy*s+ky)*w+ox*s+kx]; v > m {
							m = v
						}
					}
				}
				out[oy*ow+ox] = m
			}
		}
	}
	return y, []int{n, c, oh, ow}, nil
}

// applyHead turns logits into probabilities in place.
func applyHead(head Head, logits []float32, outputs int) {
	if head == HeadSigmoid {
		for i, v := range logits {
			logits[i] = sigmoid32(v)
		}
		return
	}
	for r := 0; r+outputs <= len(logits); r += outputs {
		row := logits[r : r+outputs]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - m))
			row[j] = float32(e)
			sum += e
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / sum)
		}
	}
}

func sigmoid32(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}
