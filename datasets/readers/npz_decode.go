package readers

import (
	"bufio"
	"fmt"
	"math"

	"codeberg.org/sbinet/npyio/npy"
)

// medmnistPart turns a validated images array and labels array into Images.
func medmnistPart(images, labels *npyArray) (*Images, error) {
	if images.descr != "|u1" {
		return nil, fmt.Errorf("%w: images are %s, want uint8 (|u1)", ErrFormat, images.descr)
	}
	s := images.shape
	im := &Images{C: 1}
	switch len(s) {
	case 3:
		im.N, im.H, im.W = s[0], s[1], s[2]
	case 4:
		im.N, im.H, im.W, im.C = s[0], s[1], s[2], s[3]
	default:
		return nil, fmt.Errorf("%w: images shape %v, want [n, h, w] or [n, h, w, c]", ErrFormat, s)
	}
	if im.H < 1 || im.W < 1 || im.C < 1 || im.C > 4 {
		return nil, fmt.Errorf("%w: images shape %v: empty image or more than 4 channels", ErrFormat, s)
	}
	ls := labels.shape
	if !(len(ls) == 1 || len(ls) == 2 && ls[1] == 1) {
		return nil, fmt.Errorf("%w: labels shape %v, want [n] or [n, 1] (multi-label sets are not supported)", ErrFormat, ls)
	}
	if ls[0] != im.N {
		return nil, fmt.Errorf("%w: %d images, %d labels", ErrMismatch, im.N, ls[0])
	}
	var px []uint8
	r, err := npy.NewReader(bufio.NewReader(images.reader()))
	if err != nil {
		return nil, fmt.Errorf("%w: images: %w", ErrFormat, err)
	}
	if err := r.Read(&px); err != nil {
		return nil, fmt.Errorf("%w: images: %w", ErrFormat, err)
	}
	im.X = toNCHW(px, im)
	if im.Y, err = readLabels(labels); err != nil {
		return nil, err
	}
	return im, nil
}

// toNCHW scales uint8 pixels to [0, 1] and moves a trailing channel axis
// in front of height and width.
func toNCHW(px []uint8, im *Images) []float32 {
	out := make([]float32, len(px))
	if im.C == 1 {
		for i, p := range px {
			out[i] = float32(p) / 255
		}
		return out
	}
	hw := im.H * im.W
	for n := range im.N {
		src := px[n*hw*im.C:]
		dst := out[n*hw*im.C:]
		for p := range hw {
			for c := range im.C {
				dst[c*hw+p] = float32(src[p*im.C+c]) / 255
			}
		}
	}
	return out
}

// readLabels decodes an integer label array through npyio into int32
// classes, refusing negative or too large values.
func readLabels(a *npyArray) ([]int32, error) {
	r, err := npy.NewReader(bufio.NewReader(a.reader()))
	if err != nil {
		return nil, fmt.Errorf("%w: labels: %w", ErrFormat, err)
	}
	var vals []int64
	switch a.descr {
	case "|u1":
		var v []uint8
		err = r.Read(&v)
		vals = widen(v)
	case "|i1":
		var v []int8
		err = r.Read(&v)
		vals = widen(v)
	case "<u2":
		var v []uint16
		err = r.Read(&v)
		vals = widen(v)
	case "<i2":
		var v []int16
		err = r.Read(&v)
		vals = widen(v)
	case "<u4":
		var v []uint32
		err = r.Read(&v)
		vals = widen(v)
	case "<i4":
		var v []int32
		err = r.Read(&v)
		vals = widen(v)
	case "<u8":
		var v []uint64
		err = r.Read(&v)
		vals = make([]int64, len(v))
		for i, x := range v {
			vals[i] = int64(min(x, math.MaxInt64))
		}
	case "<i8":
		err = r.Read(&vals)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: labels: %w", ErrFormat, err)
	}
	out := make([]int32, len(vals))
	for i, v := range vals {
		if v < 0 || v > math.MaxInt32 {
			return nil, fmt.Errorf("label %d: %w: class out of [0, 2^31)", i, ErrValue)
		}
		out[i] = int32(v)
	}
	return out, nil
}

func widen[T uint8 | int8 | uint16 | int16 | uint32 | int32](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
