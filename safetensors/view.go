package safetensors

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// nativeLittleEndian reports whether this machine stores a float32 in the byte order
// safetensors uses, so that a []float32's memory already is the tensor's bytes.
var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// F32View builds an F32 tensor whose Data is v's own memory on a little-endian machine
// (no copy, nothing allocated), and a little-endian copy elsewhere. Writes to v show
// through a view, so v must not change while the tensor is in use (it is meant for
// encoding a private snapshot, as checkpoints do).
func F32View(name string, shape []int, v []float32) Tensor {
	return Tensor{Name: name, DType: DTypeF32, Shape: cloneShape(shape), Data: f32Bytes(v, nativeLittleEndian)}
}

// f32Bytes returns v as little-endian bytes: a view of v when native is true, a copy
// otherwise.
func f32Bytes(v []float32, native bool) []byte {
	if native {
		if len(v) == 0 {
			return []byte{}
		}
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// float32sFrom decodes little-endian bytes (a multiple of 4 long) into a new slice:
// one memory copy when native is true, element by element otherwise.
func float32sFrom(b []byte, native bool) []float32 {
	out := make([]float32, len(b)/4)
	if native {
		copy(f32Bytes(out, true), b)
		return out
	}
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
