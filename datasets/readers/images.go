package readers

import "fmt"

// DefaultMaxBytes bounds the decoded data of one array (4 GiB) when a reader
// is given no limit of its own.
const DefaultMaxBytes = 4 << 30

// maxDim bounds any one dimension, so products of a few dimensions cannot
// overflow before they are compared with the limit.
const maxDim = 1 << 31

// Images is a labelled image set: X holds N images of C×H×W float32 pixels
// in [0, 1], row-major in that order (NCHW); Y holds N class indices.
type Images struct {
	N, C, H, W int
	X          []float32
	Y          []int32
}

// Shape is the shape of one image, [C, H, W].
func (im *Images) Shape() []int { return []int{im.C, im.H, im.W} }

// Check reports whether the sizes agree with each other and the labels are
// non-negative.
func (im *Images) Check() error {
	if im.N < 0 || im.C < 1 || im.H < 1 || im.W < 1 {
		return fmt.Errorf("images: %w: shape [%d, %d, %d, %d]", ErrFormat, im.N, im.C, im.H, im.W)
	}
	if len(im.X) != im.N*im.C*im.H*im.W {
		return fmt.Errorf("images: %w: %d pixel values for shape [%d, %d, %d, %d]", ErrFormat, len(im.X), im.N, im.C, im.H, im.W)
	}
	if len(im.Y) != im.N {
		return fmt.Errorf("images: %w: %d images, %d labels", ErrMismatch, im.N, len(im.Y))
	}
	for i, y := range im.Y {
		if y < 0 {
			return fmt.Errorf("images: label %d: %w: negative class", i, ErrValue)
		}
	}
	return nil
}

// checkedProduct multiplies dims (each already below maxDim) and element
// size, failing when the result exceeds limit.
func checkedProduct(dims []int, elem int, limit int64) (int64, error) {
	n := int64(elem)
	for _, d := range dims {
		if d < 0 || d >= maxDim {
			return 0, fmt.Errorf("%w: dimension %d out of range", ErrFormat, d)
		}
		if d != 0 && n > limit/int64(d) {
			return 0, fmt.Errorf("%w: shape %v of %d-byte elements exceeds %d bytes", ErrTooLarge, dims, elem, limit)
		}
		n *= int64(d)
	}
	if n > limit {
		return 0, fmt.Errorf("%w: shape %v of %d-byte elements exceeds %d bytes", ErrTooLarge, dims, elem, limit)
	}
	return n, nil
}
