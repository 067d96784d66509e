package ops

import (
	"fmt"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Input is a graph input whose values are the caller's batch, read in place: the graph
// no longer copies each batch into a tensor of its own. The copy took 8% of an MLP step
// when the two vCPUs sat far apart, since it rewrote lines both cores held.
// It is a gorgonia Value only to travel through the executor to this package's ops,
// which read it through float32s; ReadsInPlace says which ops those are.
type Input struct {
	shape tensor.Shape
	x     []float32
}

// NewInput is an input of the given shape with no values bound yet.
func NewInput(shape tensor.Shape) *Input { return &Input{shape: shape.Clone()} }

// Bind makes x (exactly Size values) the input's values until the next Bind; nil unbinds.
func (in *Input) Bind(x []float32) error {
	if x != nil && len(x) != in.shape.TotalSize() {
		return fmt.Errorf("input %v: %d values, want %d", in.shape, len(x), in.shape.TotalSize())
	}
	in.x = x
	return nil
}

func (in *Input) Shape() tensor.Shape { return in.shape.Clone() }
func (in *Input) Size() int           { return in.shape.TotalSize() }
func (in *Input) Data() interface{}   { return in.x }
func (in *Input) Dtype() tensor.Dtype { return tensor.Float32 }
func (in *Input) MemSize() uintptr    { return uintptr(len(in.x)) * 4 }
func (in *Input) Uintptr() uintptr {
	if len(in.x) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&in.x[0]))
}
func (in *Input) Format(s fmt.State, _ rune) { fmt.Fprintf(s, "input%v", in.shape) }

// ReadsInPlace reports whether op reads its inputs through float32s, so an Input can be
// handed to it: the ops of this package that a network's first layer runs.
func ReadsInPlace(op G.Op) bool {
	switch op.(type) {
	case *denseOp, *matMulOp, *conv2DOp, *conv2DGradOp:
		return true
	}
	return false
}
