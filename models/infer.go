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
func Infer(net Network, params []*Param, x []float32, n int) ([]float32, error) {
	if len(x) != n*net.InputSize() {
		return nil, fmt.Errorf("infer %s: input has %d values, want %d samples × %d", net.Architecture, len(x), n, net.InputSize())
	}
	byName := make(map[string]*Param, len(params))
	for _, p := range params {
		byName[p.Name] = p
	}
	shape := append([]int{n}, net.InputShape...)
	cur := append([]float32(nil), x...)
	for i, l := range net.Layers {
		var err error
		cur, shape, err = inferLayer(l, byName, cur, shape)
		if err != nil {
			return nil, fmt.Errorf("infer %s: layer %d (%s): %w", net.Architecture, i, l.Op, err)
		}
	}
	if got := shape[len(shape)-1]; len(shape) != 2 || got != net.Outputs() {
		return nil, fmt.Errorf("infer %s: logits shaped %v, want [%d %d]", net.Architecture, shape, n, net.Outputs())
	}
	applyHead(net.Head, cur, net.Outputs())
	return cur, nil
}

func inferLayer(l Layer, params map[string]*Param, x []float32, shape []int) ([]float32, []int, error) {
	switch l.Op {
	case OpDense:
		w, b, err := weightAndBias(l, params, l.In*l.Out, l.Out)
		if err != nil {
			return nil, nil, err
		}
		if len(shape) != 2 || shape[1] != l.In {
			return nil, nil, fmt.Errorf("input shaped %v, want [n %d]", shape, l.In)
		}
		return denseForward(x, shape[0], l.In, l.Out, w, b), []int{shape[0], l.Out}, nil
	case OpReLU:
		for i, v := range x {
			if v < 0 {
				x[i] = 0
			}
		}
		return x, shape, nil
	case OpSigmoid:
		for i, v := range x {
			x[i] = sigmoid32(v)
		}
		return x, shape, nil
	case OpFlatten:
		if len(shape) < 2 {
			return nil, nil, fmt.Errorf("input shaped %v, need a batch dimension", shape)
		}
		size := 1
		for _, d := range shape[1:] {
			size *= d
		}
		return x, []int{shape[0], size}, nil
	case OpConv2D:
		w, b, err := weightAndBias(l, params, l.Out*l.In*l.Kernel*l.Kernel, l.Out)
		if err != nil {
			return nil, nil, err
		}
		if len(shape) != 4 || shape[1] != l.In {
			return nil, nil, fmt.Errorf("input shaped %v, want [n %d h w]", shape, l.In)
		}
		return conv2DForward(x, shape, l, w, b)
	case OpMaxPool:
		if len(shape) != 4 {
			return nil, nil, fmt.Errorf("input shaped %v, want [n c h w]", shape)
		}
		return maxPoolForward(x, shape, l.Kernel, l.Stride)
	}
	return nil, nil, fmt.Errorf("unknown op %q", l.Op)
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

// denseForward is y = x·W + b through the training's SGEMM, so evaluation of a large
// validation split costs what a forward step costs (the plain loops took ~500 ms for
// 256 records of a 784-2048-2048-10 MLP, on the step loop at every checkpoint).
func denseForward(x []float32, n, in, out int, w, b []float32) []float32 {
	y := make([]float32, n*out)
	for r := 0; r < n; r++ {
		copy(y[r*out:(r+1)*out], b)
	}
	kernels.Sgemm(false, false, n, out, in, 1, x, in, w, out, 1, y, out)
	return y
}

// conv2DForward is the NCHW convolution by im2col and SGEMM (kernels.Conv2DForward,
// checked against its direct reference in package kernels).
func conv2DForward(x []float32, shape []int, l Layer, w, b []float32) ([]float32, []int, error) {
	geom := kernels.Conv2D{N: shape[0], C: shape[1], H: shape[2], W: shape[3], K: l.Out, R: l.Kernel, S: l.Kernel,
		Stride: max(l.Stride, 1), Pad: l.Pad}
	if err := geom.Validate(); err != nil {
		return nil, nil, err
	}
	y := make([]float32, geom.N*geom.K*geom.OutH()*geom.OutW())
	if err := kernels.Conv2DForward(geom, x, w, b, y, make([]float32, geom.ScratchSize())); err != nil {
		return nil, nil, err
	}
	return y, []int{geom.N, geom.K, geom.OutH(), geom.OutW()}, nil
}

func maxPoolForward(x []float32, shape []int, k, s int) ([]float32, []int, error) {
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	if s == 0 {
		s = k
	}
	oh, ow := (h-k)/s+1, (w-k)/s+1
	if k <= 0 || oh <= 0 || ow <= 0 {
		return nil, nil, fmt.Errorf("pool window %d does not fit %dx%d", k, h, w)
	}
	y := make([]float32, n*c*oh*ow)
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
