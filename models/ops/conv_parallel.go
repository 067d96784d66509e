package ops

import "github.com/dxtrain/dxtrain/kernels"

// convMaxChunks is how many parts a convolution splits its batch into. The kernels work
// one image at a time with products too small for SGEMM to spread over threads, so a
// layer ran on one core; its chunks of images run in parallel instead. The split does
// not depend on the thread count, and the per-chunk weight gradients are summed in chunk
// order, so results are bit-identical on any number of threads.
const convMaxChunks = 8

// convChunks is a batch split into chunks of whole images, each with its own geometry
// and scratch, and for the backward its own partial weight and bias gradients.
type convChunks struct {
	per     int              // images per chunk; the last may hold fewer
	geoms   []kernels.Conv2D // one per chunk, N set to its images
	scratch [][]float32
	dw, db  [][]float32 // partial gradients, allocated with the backward op
	errs    []error
}

func newConvChunks(c kernels.Conv2D, pool bool) *convChunks {
	per := (c.N + convMaxChunks - 1) / convMaxChunks
	n := (c.N + per - 1) / per
	ch := &convChunks{per: per, geoms: make([]kernels.Conv2D, n), scratch: make([][]float32, n), errs: make([]error, n)}
	for i := range n {
		g := c
		g.N = min(per, c.N-i*per)
		if n > 1 {
			g.Threads = 1 // the chunks run in parallel instead
		}
		ch.geoms[i] = g
		if pool {
			ch.scratch[i] = make([]float32, g.PoolScratchSize())
		} else {
			ch.scratch[i] = make([]float32, g.ScratchSize())
		}
	}
	return ch
}

// allocGrads allocates the partial gradients of a backward pass, once.
func (ch *convChunks) allocGrads(dwSize, dbSize int) {
	if ch.dw != nil {
		return
	}
	ch.dw, ch.db = make([][]float32, len(ch.geoms)), make([][]float32, len(ch.geoms))
	for i := range ch.geoms {
		ch.dw[i], ch.db[i] = make([]float32, dwSize), make([]float32, dbSize)
	}
}

// images returns the part of a batch tensor (size values per image) chunk i covers.
func (ch *convChunks) images(x []float32, i, size int) []float32 {
	lo := i * ch.per * size
	return x[lo : lo+ch.geoms[i].N*size]
}

// argmax returns the part of a pooled convolution's argmax chunk i covers.
func (ch *convChunks) argmax(a []int32, i int, c kernels.Conv2D) []int32 {
	per := c.K * c.PoolOutH() * c.PoolOutW()
	lo := i * ch.per * per
	return a[lo : lo+ch.geoms[i].N*per]
}

// run runs task's chunks through kernels.Parallel (task.Run(i) leaves chunk i's error
// in errs[i]) and returns the error of the lowest chunk that failed.
func (ch *convChunks) run(task kernels.Task) error {
	kernels.Parallel(len(ch.geoms), task)
	for _, err := range ch.errs {
		if err != nil {
			clear(ch.errs)
			return err
		}
	}
	return nil
}
