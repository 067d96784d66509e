package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unsafe"
)

// Tensor is one named tensor: its element type, shape and raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32 builds an F32 tensor, copying v into little-endian bytes.
func F32(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	copy(b, f32Bytes(v, nativeLittleEndian)) // a second copy only on big-endian machines
	return Tensor{Name: name, DType: DTypeF32, Shape: cloneShape(shape), Data: b}
}

// F64 builds an F64 tensor, copying v into little-endian bytes.
func F64(name string, shape []int, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Tensor{Name: name, DType: DTypeF64, Shape: cloneShape(shape), Data: b}
}

// I32 builds an I32 tensor, copying v into little-endian bytes.
func I32(name string, shape []int, v []int32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return Tensor{Name: name, DType: DTypeI32, Shape: cloneShape(shape), Data: b}
}

// I64 builds an I64 tensor, copying v into little-endian bytes.
func I64(name string, shape []int, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: DTypeI64, Shape: cloneShape(shape), Data: b}
}

// U8 builds a U8 tensor, copying v.
func U8(name string, shape []int, v []byte) Tensor {
	return Tensor{Name: name, DType: DTypeU8, Shape: cloneShape(shape), Data: append([]byte(nil), v...)}
}

// Float32s decodes an F32 tensor's elements.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.want(DTypeF32); err != nil {
		return nil, err
	}
	return float32sFrom(t.Data, nativeLittleEndian), nil
}

// Float32sView is Float32s without the copy where it can be: on a little-endian
// machine, with Data 4-byte aligned, the slice is Data's own memory, so decoding a
// large shard costs no second buffer. The caller must treat both as read-only.
func (t Tensor) Float32sView() ([]float32, error) {
	if err := t.want(DTypeF32); err != nil {
		return nil, err
	}
	if !nativeLittleEndian || len(t.Data) < 4 || uintptr(unsafe.Pointer(unsafe.SliceData(t.Data)))%4 != 0 {
		return float32sFrom(t.Data, nativeLittleEndian), nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(t.Data))), len(t.Data)/4), nil
}

// Float64s decodes an F64 tensor's elements.
func (t Tensor) Float64s() ([]float64, error) {
	if err := t.want(DTypeF64); err != nil {
		return nil, err
	}
	out := make([]float64, len(t.Data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int32s decodes an I32 tensor's elements.
func (t Tensor) Int32s() ([]int32, error) {
	if err := t.want(DTypeI32); err != nil {
		return nil, err
	}
	out := make([]int32, len(t.Data)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Int64s decodes an I64 tensor's elements.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.want(DTypeI64); err != nil {
		return nil, err
	}
	out := make([]int64, len(t.Data)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Uint8s returns a copy of a U8 tensor's elements.
func (t Tensor) Uint8s() ([]byte, error) {
	if err := t.want(DTypeU8); err != nil {
		return nil, err
	}
	return append([]byte(nil), t.Data...), nil
}

// NumElements is the product of the shape (1 for a scalar).
func (t Tensor) NumElements() (int, error) { return numElements(t.Shape) }

// Check reports whether the tensor is self-consistent: known dtype, non-negative
// shape, and exactly shape product × dtype size bytes.
func (t Tensor) Check() error {
	if err := checkDType(t.DType); err != nil {
		return fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	n, err := byteLength(t.Shape, t.DType)
	if err != nil {
		return fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if uint64(len(t.Data)) != n {
		return fmt.Errorf("%w: tensor %q: %d data bytes, shape %v of %s needs %d",
			ErrTensor, t.Name, len(t.Data), t.Shape, t.DType, n)
	}
	return nil
}

func (t Tensor) want(d DType) error {
	if t.DType != d {
		return fmt.Errorf("%w: tensor %q is %s, not %s", ErrDType, t.Name, t.DType, d)
	}
	if err := t.Check(); err != nil {
		return err
	}
	return nil
}

// numElements multiplies the shape, refusing negative dimensions and overflow.
func numElements(shape []int) (int, error) {
	n := uint64(1)
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: shape %v: dimension %d is negative", ErrTensor, shape, i)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("%w: shape %v: element count overflows", ErrTensor, shape)
		}
		n = lo
	}
	return int(n), nil
}

// byteLength is the number of bytes a tensor of this shape and dtype occupies.
func byteLength(shape []int, d DType) (uint64, error) {
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	hi, lo := bits.Mul64(uint64(n), uint64(d.Size()))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, fmt.Errorf("%w: shape %v of %s: byte length overflows", ErrTensor, shape, d)
	}
	return lo, nil
}

func cloneShape(s []int) []int {
	if s == nil {
		return []int{}
	}
	return append([]int{}, s...)
}
