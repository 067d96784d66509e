package main

import "github.com/dxtrain/dxtrain/models"

// stepFlops is the floating-point work of one training step of net at this batch, counted
// as PyTorch's profiler counts it: 2·m·n·k for each product of the forward pass, the weight
// gradients and the input gradients (none for the first layer, whose input is data).
// Element-wise work, the optimizer and the bias are left out, so the figure is the useful
// work of the step, not what an engine happens to execute.
func stepFlops(net models.Network, batch int) float64 {
	c, h, w := 1, 1, 1
	switch len(net.InputShape) {
	case 1:
		c = net.InputShape[0]
	case 3:
		c, h, w = net.InputShape[0], net.InputShape[1], net.InputShape[2]
	}
	var total float64
	first := true
	for _, l := range net.Layers {
		var mac float64
		switch l.Op {
		case models.OpDense:
			mac = float64(batch) * float64(l.In) * float64(l.Out)
			c, h, w = l.Out, 1, 1
		case models.OpConv2D:
			oh := (h+2*l.Pad-l.Kernel)/l.Stride + 1
			ow := (w+2*l.Pad-l.Kernel)/l.Stride + 1
			mac = float64(batch) * float64(l.Out) * float64(oh*ow) * float64(l.In*l.Kernel*l.Kernel)
			c, h, w = l.Out, oh, ow
		case models.OpMaxPool:
			h, w = (h-l.Kernel)/l.Stride+1, (w-l.Kernel)/l.Stride+1
		case models.OpFlatten:
			c, h, w = c*h*w, 1, 1
		}
		if mac == 0 {
			continue
		}
		passes := 3.0 // forward, weight gradient, input gradient
		if first {
			passes = 2
			first = false
		}
		total += 2 * mac * passes
	}
	return total
}
