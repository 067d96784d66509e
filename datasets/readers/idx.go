package readers

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// IDX element type codes, from the format's definition (Yann LeCun's MNIST
// page): the third magic byte.
const (
	IDXUint8   byte = 0x08
	IDXInt8    byte = 0x09
	IDXInt16   byte = 0x0B
	IDXInt32   byte = 0x0C
	IDXFloat32 byte = 0x0D
	IDXFloat64 byte = 0x0E
)

// idxMaxDims bounds the fourth magic byte; real files have 1 (labels) or 3
// (images).
const idxMaxDims = 8

func idxElemSize(t byte) int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// IDXArray is one decoded IDX file: its element type, dimensions and the
// raw big-endian element bytes.
type IDXArray struct {
	Type byte
	Dims []int
	Data []byte
}

// ReadIDX decodes one IDX file, gzipped or not (detected by the gzip magic).
// maxBytes bounds the data (0 means DefaultMaxBytes). The input must hold
// exactly the declared data: fewer bytes is ErrTruncated, more ErrTrailing.
// The data buffer grows with the bytes actually read, so a header declaring
// more than the input holds allocates no more than the input.
func ReadIDX(r io.Reader, maxBytes int64) (*IDXArray, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: gzip: %w: %w", ErrFormat, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("idx: magic: %w: %d-byte magic number missing", ErrTruncated, len(magic))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("idx: magic: %w: first two bytes must be zero", ErrFormat)
	}
	size := idxElemSize(magic[2])
	if size == 0 {
		return nil, fmt.Errorf("idx: magic: %w: unknown element type 0x%02x", ErrFormat, magic[2])
	}
	nd := int(magic[3])
	if nd < 1 || nd > idxMaxDims {
		return nil, fmt.Errorf("idx: magic: %w: %d dimensions, want 1..%d", ErrFormat, nd, idxMaxDims)
	}
	a := &IDXArray{Type: magic[2], Dims: make([]int, nd)}
	for i := range a.Dims {
		var d [4]byte
		if _, err := io.ReadFull(br, d[:]); err != nil {
			return nil, fmt.Errorf("idx: dimension %d: %w", i, ErrTruncated)
		}
		a.Dims[i] = int(binary.BigEndian.Uint32(d[:]))
	}
	need, err := checkedProduct(a.Dims, size, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	a.Data, err = io.ReadAll(io.LimitReader(br, need+1))
	if err != nil {
		return nil, fmt.Errorf("idx: data: %w: %w", ErrFormat, err)
	}
	switch {
	case int64(len(a.Data)) < need:
		return nil, fmt.Errorf("idx: data: %w: %d bytes, dimensions %v need %d", ErrTruncated, len(a.Data), a.Dims, need)
	case int64(len(a.Data)) > need:
		return nil, fmt.Errorf("idx: data: %w: dimensions %v need %d bytes", ErrTrailing, a.Dims, need)
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, fmt.Errorf("idx: data: %w: dimensions %v need %d bytes", ErrTrailing, a.Dims, need)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("idx: after data: %w: %w", ErrFormat, err)
	}
	return a, nil
}

// Pixels converts the array to float32 in [0, 1]: integer types are scaled
// from their full range (uint8 by 1/255), float types are taken as they are
// and must already be finite and within [0, 1].
func (a *IDXArray) Pixels() ([]float32, error) {
	size := idxElemSize(a.Type)
	n := len(a.Data) / size
	out := make([]float32, n)
	for i := range out {
		b := a.Data[i*size:]
		var v float64
		switch a.Type {
		case IDXUint8:
			out[i] = float32(b[0]) / 255
			continue
		case IDXInt8:
			v = (float64(int8(b[0])) + 128) / 255
		case IDXInt16:
			v = (float64(int16(binary.BigEndian.Uint16(b))) + 32768) / 65535
		case IDXInt32:
			v = (float64(int32(binary.BigEndian.Uint32(b))) + 2147483648) / 4294967295
		case IDXFloat32:
			v = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
		case IDXFloat64:
			v = math.Float64frombits(binary.BigEndian.Uint64(b))
		}
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("idx: element %d: %w: float pixel is not within [0, 1]", i, ErrValue)
		}
		out[i] = float32(v)
	}
	return out, nil
}

// Labels converts a one-dimensional integer array to class indices; each
// must be in [0, 2^31).
func (a *IDXArray) Labels() ([]int32, error) {
	if len(a.Dims) != 1 {
		return nil, fmt.Errorf("idx labels: %w: %d dimensions, want 1", ErrFormat, len(a.Dims))
	}
	size := idxElemSize(a.Type)
	out := make([]int32, a.Dims[0])
	for i := range out {
		b := a.Data[i*size:]
		var v int64
		switch a.Type {
		case IDXUint8:
			v = int64(b[0])
		case IDXInt8:
			v = int64(int8(b[0]))
		case IDXInt16:
			v = int64(int16(binary.BigEndian.Uint16(b)))
		case IDXInt32:
			v = int64(int32(binary.BigEndian.Uint32(b)))
		default:
			return nil, fmt.Errorf("idx labels: %w: element type 0x%02x is not an integer type", ErrFormat, a.Type)
		}
		if v < 0 {
			return nil, fmt.Errorf("idx labels: label %d: %w: negative class", i, ErrValue)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// ReadIDXImages decodes an MNIST-style pair: images of dimensions [n, h, w]
// and labels [n]. maxBytes bounds each file's data (0: DefaultMaxBytes).
func ReadIDXImages(images, labels io.Reader, maxBytes int64) (*Images, error) {
	ia, err := ReadIDX(images, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("images file: %w", err)
	}
	if len(ia.Dims) != 3 || ia.Dims[1] < 1 || ia.Dims[2] < 1 {
		return nil, fmt.Errorf("images file: %w: dimensions %v, want [n, height, width]", ErrFormat, ia.Dims)
	}
	la, err := ReadIDX(labels, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("labels file: %w", err)
	}
	if len(la.Dims) != 1 {
		return nil, fmt.Errorf("labels file: %w: dimensions %v, want [n]", ErrFormat, la.Dims)
	}
	if la.Dims[0] != ia.Dims[0] {
		return nil, fmt.Errorf("idx: %w: %d images, %d labels", ErrMismatch, ia.Dims[0], la.Dims[0])
	}
	im := &Images{N: ia.Dims[0], C: 1, H: ia.Dims[1], W: ia.Dims[2]}
	if im.X, err = ia.Pixels(); err != nil {
		return nil, fmt.Errorf("images file: %w", err)
	}
	if im.Y, err = la.Labels(); err != nil {
		return nil, fmt.Errorf("labels file: %w", err)
	}
	return im, nil
}

// LoadIDXImages opens and decodes an images file and its labels file.
func LoadIDXImages(imagesPath, labelsPath string, maxBytes int64) (*Images, error) {
	fi, err := os.Open(imagesPath)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer fi.Close()
	fl, err := os.Open(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer fl.Close()
	im, err := ReadIDXImages(fi, fl, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s, %s: %w", imagesPath, labelsPath, err)
	}
	return im, nil
}
