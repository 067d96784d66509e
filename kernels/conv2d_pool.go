package kernels

import "fmt"

// The CNN's block, convolution → ReLU → 2×2 max-pool, one image at a time: each image's
// convolution output is pooled right after its product, and in the backward each image's
// output gradient is unpooled right before its products, while it is in cache. Between
// separate layers the whole batch's output (12.8 MB for the first layer of the reference
// CNN at batch 128) went to memory and back twice a step. The results are those of
// Conv2DForward, MaxPool2x2ReLUForward and their backwards, bit for bit.

// PoolOutH and PoolOutW are the pooled output's height and width: the convolution's halved,
// a trailing odd row or column dropped.
func (c Conv2D) PoolOutH() int { return c.OutH() / 2 }
func (c Conv2D) PoolOutW() int { return c.OutW() / 2 }

// PoolScratchSize is the length of the scratch Conv2DPoolForward and Conv2DPoolBackward
// take: ScratchSize(), one image's convolution output and the channels-last unpooling's
// tables.
func (c Conv2D) PoolScratchSize() int {
	return c.ScratchSize() + c.K*c.OutH()*c.OutW() + c.channelsLastSize()
}

// Conv2DPoolForward computes pooled (N×K×PoolOutH×PoolOutW) = relu(maxpool2x2(conv(x, w) +
// bias)); bias may be nil. argmax (as long as pooled) receives, for each output, the index of
// the chosen value within its image's K×OutH×OutW convolution output, or −1 where the ReLU
// gave zero. c.ReLU is ignored: the ReLU is the pool's. scratch has length PoolScratchSize().
func Conv2DPoolForward(c Conv2D, x, w, bias, pooled []float32, argmax []int32, scratch []float32) error {
	phw := c.PoolOutH() * c.PoolOutW()
	if err := c.checkPoolBuffers(x, w, bias, "pooled output", pooled, argmax, scratch); err != nil {
		return err
	}
	if c.poolDirectForward(x, w, bias, pooled, argmax, scratch) {
		return nil
	}
	p := c.foldBias(w, bias, scratch)
	yn := scratch[c.ScratchSize() : c.ScratchSize()+c.K*c.OutH()*c.OutW()]
	for n := range c.N {
		p.image(c, x[n*c.C*c.H*c.W:], yn)
		if err := MaxPool2x2ReLUForward(1, c.K, c.OutH(), c.OutW(), yn, pooled[n*c.K*phw:(n+1)*c.K*phw], argmax[n*c.K*phw:(n+1)*c.K*phw]); err != nil {
			return err
		}
	}
	return nil
}

// Conv2DPoolBackward computes the gradients of a Conv2DPoolForward given the gradient of
// its pooled output and the argmax it recorded: dw and db (nil when there is no bias) are
// overwritten with the sums over the batch, dx (nil for a first layer) with the input
// gradient, as Conv2DBackward does. scratch has length PoolScratchSize().
func Conv2DPoolBackward(c Conv2D, x, w, dpooled []float32, argmax []int32, dx, dw, db, scratch []float32) error {
	phw := c.PoolOutH() * c.PoolOutW()
	if err := c.checkPoolBuffers(x, w, nil, "pooled gradient", dpooled, argmax, scratch); err != nil {
		return err
	}
	if err := c.checkBuffers(namedBuf{"dx", dx, c.N * c.C * c.H * c.W, true}, namedBuf{"dw", dw, c.K * c.C * c.R * c.S, false},
		namedBuf{"db", db, c.K, true}); err != nil {
		return err
	}
	b := c.backwardProducts(w, db != nil, scratch)
	ohw := c.OutH() * c.OutW()
	dyn := scratch[c.ScratchSize() : c.ScratchSize()+c.K*ohw]
	// A first layer unpools channels-last (unpool_channels_last.go); a layer with an input
	// gradient keeps K×OutH·OutW, which that product reads in place.
	cl, clOK := c.channelsLastTables(scratch[c.ScratchSize()+c.K*ohw:])
	clOK = clOK && dx == nil
	for n := range c.N {
		lo, hi := n*c.K*phw, (n+1)*c.K*phw
		if clOK && cl.unpool(c, dpooled[lo:hi], argmax[lo:hi], dyn) {
			b.addWeightGradient(c, n, x, dyn, true)
			continue
		}
		if err := MaxPool2x2ReLUBackward(1, c.K, c.OutH(), c.OutW(), dpooled[lo:hi], argmax[lo:hi], dyn); err != nil {
			return err
		}
		b.image(c, n, x, dyn, dx)
	}
	b.finish(c, dw, db)
	return nil
}

// checkPoolBuffers validates the buffers both directions share; a nil bias is skipped.
func (c Conv2D) checkPoolBuffers(x, w, bias []float32, pooledName string, pooled []float32, argmax []int32, scratch []float32) error {
	n := c.N * c.K * c.PoolOutH() * c.PoolOutW()
	if err := c.checkBuffers(namedBuf{"x", x, c.N * c.C * c.H * c.W, false}, namedBuf{"w", w, c.K * c.C * c.R * c.S, false},
		namedBuf{"bias", bias, c.K, true}, namedBuf{pooledName, pooled, n, false},
		namedBuf{"scratch", scratch, c.PoolScratchSize(), false}); err != nil {
		return err
	}
	if c.PoolOutH() < 1 || c.PoolOutW() < 1 {
		return fmt.Errorf("conv2d pool: output %d×%d is smaller than the 2×2 window: %w", c.OutH(), c.OutW(), ErrShape)
	}
	if len(argmax) != n {
		return fmt.Errorf("conv2d pool argmax: length %d, want %d: %w", len(argmax), n, ErrShape)
	}
	return nil
}
