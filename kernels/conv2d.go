package kernels

import "fmt"

// Conv2D describes a 2-D convolution (cross-correlation, as in PyTorch) over NCHW float32
// tensors: input N×C×H×W, weights K×C×R×S, output N×K×OutH()×OutW(). Stride and Pad apply
// to both spatial directions; padding is with zeros.
type Conv2D struct {
	N, C, H, W  int // batch, input channels, input height and width
	K, R, S     int // output channels, kernel height and width
	Stride, Pad int
	// Threads is how many goroutines each product uses; 0 means Threads(). A caller that
	// already runs groups of images in parallel sets 1: one image's products are too
	// small to share, and nesting the two costs more than it gains. Results do not
	// depend on it.
	Threads int
	// ReLU makes Conv2DForward clamp each image's output to max(v, 0) (NaN and −0 to +0,
	// as ReLUBackward(y, y, y) does) right after that image's product, while the output
	// is still in cache: the layer's activation fused in. Conv2DBackward ignores it.
	ReLU bool
}

// sgemm is Sgemm with the convolution's thread setting.
func (c Conv2D) sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	beta float32, out []float32, ldo int) {
	threads := c.Threads
	if threads <= 0 {
		threads = Threads()
	}
	sgemmThreads(threads, CutAuto, transA, transB, m, n, k, 1, a, lda, b, ldb, beta, out, ldo, nil)
}

// OutH is the output height (0 for a shape Validate rejects).
func (c Conv2D) OutH() int {
	if c.Stride < 1 || c.H+2*c.Pad < c.R {
		return 0
	}
	return (c.H+2*c.Pad-c.R)/c.Stride + 1
}

// OutW is the output width (0 for a shape Validate rejects).
func (c Conv2D) OutW() int {
	if c.Stride < 1 || c.W+2*c.Pad < c.S {
		return 0
	}
	return (c.W+2*c.Pad-c.S)/c.Stride + 1
}

// ColSize is the length of the im2col matrix of one image: (C·R·S)×(OutH·OutW).
func (c Conv2D) ColSize() int { return c.C * c.R * c.S * c.OutH() * c.OutW() }

// ScratchSize is the length of the scratch buffer Conv2DForward and Conv2DBackward take: the
// im2col matrix plus a row of ones, the weights with the bias as an extra column (so that
// one SGEMM adds the bias too) and the same transposed, and a transposed edge's tile
// (conv2d_edge.go).
func (c Conv2D) ScratchSize() int {
	crs := c.C * c.R * c.S
	return (crs+1)*c.OutH()*c.OutW() + 2*c.K*(crs+1) + (edgeLanes-1)*max(c.K, crs)
}

// Validate names each violated limit.
func (c Conv2D) Validate() error {
	switch {
	case c.N < 1 || c.C < 1 || c.H < 1 || c.W < 1:
		return fmt.Errorf("conv2d input %d×%d×%d×%d: every size must be at least 1: %w", c.N, c.C, c.H, c.W, ErrShape)
	case c.K < 1 || c.R < 1 || c.S < 1:
		return fmt.Errorf("conv2d kernel %d×%d×%d×%d: every size must be at least 1: %w", c.K, c.C, c.R, c.S, ErrShape)
	case c.Stride < 1:
		return fmt.Errorf("conv2d stride %d: must be at least 1: %w", c.Stride, ErrShape)
	case c.Pad < 0:
		return fmt.Errorf("conv2d pad %d: must not be negative: %w", c.Pad, ErrShape)
	case c.H+2*c.Pad < c.R || c.W+2*c.Pad < c.S:
		return fmt.Errorf("conv2d kernel %d×%d larger than padded input %d×%d: %w", c.R, c.S, c.H+2*c.Pad, c.W+2*c.Pad, ErrShape)
	}
	return nil
}

// checkLen reports a buffer whose length is not the one the convolution needs.
func checkLen(what string, x []float32, want int) error {
	if len(x) != want {
		return fmt.Errorf("%s: length %d, want %d: %w", what, len(x), want, ErrShape)
	}
	return nil
}

// checkBuffers validates the shape and the lengths of the buffers a forward or backward
// pass uses; nil optional buffers (bias, db, dx) are skipped by the callers.
func (c Conv2D) checkBuffers(bufs ...namedBuf) error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, b := range bufs {
		if b.optional && b.x == nil {
			continue
		}
		if len(b.x) != b.want { // the message is built only on failure: this runs every step
			return checkLen("conv2d "+b.name, b.x, b.want)
		}
	}
	return nil
}

type namedBuf struct {
	name     string
	x        []float32
	want     int
	optional bool
}

// Conv2DForward computes y = conv(x, w) + bias (then the ReLU when c.ReLU is set) by im2col
// and Sgemm, one image at a time:
// y_n (K×OutH·OutW) = [w | bias] (K×(C·R·S+1)) · [col_n; 1]. bias (length K) may be nil.
// scratch has length ScratchSize(). Buffers are NCHW and must have exactly the lengths the
// shape implies.
func Conv2DForward(c Conv2D, x, w, bias, y, scratch []float32) error {
	ohw := c.OutH() * c.OutW()
	if err := c.checkBuffers(namedBuf{"x", x, c.N * c.C * c.H * c.W, false}, namedBuf{"w", w, c.K * c.C * c.R * c.S, false},
		namedBuf{"bias", bias, c.K, true}, namedBuf{"y", y, c.N * c.K * ohw, false},
		namedBuf{"scratch", scratch, c.ScratchSize(), false}); err != nil {
		return err
	}
	p := c.foldBias(w, bias, scratch)
	for n := range c.N {
		yn := y[n*c.K*ohw : (n+1)*c.K*ohw]
		p.image(c, x[n*c.C*c.H*c.W:], yn)
		if c.ReLU {
			ReLUBackward(yn, yn, yn)
		}
	}
	return nil
}

// forwardProduct is the left operand of the forward products and the im2col buffer they
// read: [w | bias] when there is a bias (with a row of ones under col), w alone otherwise.
type forwardProduct struct {
	kk        int // columns of wk: C·R·S, plus one for the bias
	wk, col   []float32
	wkT, edge []float32 // wk transposed and the edge's tile, where the edge is transposed
}

// foldBias lays out the forward product in scratch (ScratchSize values).
func (c Conv2D) foldBias(w, bias, scratch []float32) forwardProduct {
	ohw := c.OutH() * c.OutW()
	crs := c.C * c.R * c.S
	p := forwardProduct{kk: crs, wk: w}
	if bias != nil {
		p.kk = crs + 1
		p.wk = scratch[p.kk*ohw : p.kk*ohw+c.K*p.kk]
		for k := range c.K {
			copy(p.wk[k*p.kk:k*p.kk+crs], w[k*crs:(k+1)*crs])
			p.wk[k*p.kk+crs] = bias[k]
		}
		ones := scratch[crs*ohw : p.kk*ohw]
		for i := range ones {
			ones[i] = 1
		}
	}
	p.col = scratch[:p.kk*ohw]
	if _, ok := transposedEdge(ohw, c.K); ok {
		crs1 := crs + 1
		p.wkT = scratch[crs1*ohw+c.K*crs1 : crs1*ohw+c.K*crs1+c.K*p.kk]
		p.edge = scratch[crs1*ohw+2*c.K*crs1:]
		transpose(p.wkT, p.wk[:c.K*p.kk], c.K, p.kk)
	}
	return p
}

// image computes one image's output yn (K×OutH·OutW) from its input xn.
func (p forwardProduct) image(c Conv2D, xn, yn []float32) {
	ohw := c.OutH() * c.OutW()
	Im2col(c, xn, p.col)
	full, ok := transposedEdge(ohw, c.K)
	if !ok {
		c.sgemm(false, false, c.K, ohw, p.kk, p.wk, p.kk, p.col, ohw, 0, yn, ohw)
		return
	}
	c.sgemm(false, false, c.K, full, p.kk, p.wk, p.kk, p.col, ohw, 0, yn, ohw)
	// The edge's columns as rows: yᵀ (e×K) = colᵀ · wkᵀ.
	e := ohw - full
	c.sgemm(true, false, e, c.K, p.kk, p.col[full:], ohw, p.wkT, c.K, 0, p.edge, c.K)
	transposeBlock(yn[full:], ohw, p.edge, c.K, e, c.K)
}

// Conv2DBackward computes the gradients of a Conv2DForward given dy (N×K×OutH×OutW):
// dw (K×C×R×S) and db (K) are overwritten with the sums over the batch, dx (N×C×H×W) with
// the input gradient. db and dx may be nil (no bias; first layer). scratch has length
// ScratchSize(). The weight gradient is accumulated transposed, dwᵀ ((C·R·S+1)×K) +=
// [col_n; 1] · dy_nᵀ, so that the operand SGEMM must repack is the small dy_n rather than
// col_n, and the row of ones yields db in the same product. Images are summed in batch
// order, so the result does not depend on threads.
func Conv2DBackward(c Conv2D, x, w, dy, dx, dw, db, scratch []float32) error {
	ohw := c.OutH() * c.OutW()
	crs := c.C * c.R * c.S
	if err := c.checkBuffers(namedBuf{"x", x, c.N * c.C * c.H * c.W, false}, namedBuf{"w", w, c.K * crs, false},
		namedBuf{"dy", dy, c.N * c.K * ohw, false}, namedBuf{"dx", dx, c.N * c.C * c.H * c.W, true},
		namedBuf{"dw", dw, c.K * crs, false}, namedBuf{"db", db, c.K, true},
		namedBuf{"scratch", scratch, c.ScratchSize(), false}); err != nil {
		return err
	}
	b := c.backwardProducts(w, db != nil, scratch)
	for n := range c.N {
		b.image(c, n, x, dy[n*c.K*ohw:(n+1)*c.K*ohw], dx)
	}
	b.finish(c, dw, db)
	return nil
}

// backwardProducts is one backward pass's buffers in scratch: im2col (with a row of ones
// when there is a bias) and the transposed weight gradient it accumulates.
type backwardProducts struct {
	w, col, dwt, edge []float32
	kk                int
}

func (c Conv2D) backwardProducts(w []float32, bias bool, scratch []float32) backwardProducts {
	ohw := c.OutH() * c.OutW()
	crs := c.C * c.R * c.S
	b := backwardProducts{w: w, kk: crs}
	if bias {
		b.kk = crs + 1
		ones := scratch[crs*ohw : b.kk*ohw]
		for i := range ones {
			ones[i] = 1
		}
	}
	b.col = scratch[:b.kk*ohw]
	b.dwt = scratch[b.kk*ohw : b.kk*ohw+b.kk*c.K]
	b.edge = scratch[(crs+1)*ohw+2*c.K*(crs+1):]
	return b
}

// image adds image n's weight gradient (from its output gradient dyn) and, when dx is not
// nil, writes its input gradient.
func (b backwardProducts) image(c Conv2D, n int, x, dyn, dx []float32) {
	ohw := c.OutH() * c.OutW()
	crs := c.C * c.R * c.S
	b.addWeightGradient(c, n, x, dyn, false)
	if dx != nil {
		// dcol (CRS×OHW) = wᵀ (CRS×K) · dy_n (K×OHW), then scattered back onto dx_n.
		if full, ok := transposedEdge(ohw, crs); ok {
			c.sgemm(true, false, crs, full, c.K, b.w, crs, dyn, ohw, 0, b.col, ohw)
			// The edge's columns as rows: dcolᵀ (e×CRS) = dy_nᵀ · w.
			e := ohw - full
			c.sgemm(true, false, e, crs, c.K, dyn[full:], ohw, b.w, crs, 0, b.edge, crs)
			transposeBlock(b.col[full:], ohw, b.edge, crs, e, crs)
		} else {
			c.sgemm(true, false, crs, ohw, c.K, b.w, crs, dyn, ohw, 0, b.col, ohw)
		}
		dxn := dx[n*c.C*c.H*c.W : (n+1)*c.C*c.H*c.W]
		clear(dxn)
		Col2im(c, b.col, dxn)
	}
}

// addWeightGradient adds image n's weight gradient into dwᵀ (the first image overwrites
// it): dwᵀ += [col_n; 1] · dy_nᵀ, with dyn K×OutH·OutW, or channels-last ([OutH·OutW][K],
// read in place, for a first layer: unpool_channels_last.go).
func (b backwardProducts) addWeightGradient(c Conv2D, n int, x, dyn []float32, channelsLast bool) {
	ohw := c.OutH() * c.OutW()
	Im2col(c, x[n*c.C*c.H*c.W:], b.col)
	beta := float32(1)
	if n == 0 {
		beta = 0
	}
	if channelsLast {
		c.sgemm(false, false, b.kk, c.K, ohw, b.col, ohw, dyn, c.K, beta, b.dwt, c.K)
		return
	}
	c.sgemm(false, true, b.kk, c.K, ohw, b.col, ohw, dyn, ohw, beta, b.dwt, c.K)
}

// finish writes dw and db from the accumulated transposed gradient.
func (b backwardProducts) finish(c Conv2D, dw, db []float32) {
	crs := c.C * c.R * c.S
	transpose(dw, b.dwt[:crs*c.K], crs, c.K)
	if db != nil {
		copy(db, b.dwt[crs*c.K:])
	}
}
