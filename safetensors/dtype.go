package safetensors

import "fmt"

// DType is a tensor element type, spelled as in the safetensors header.
type DType string

// The element types dxtrain reads and writes. All are little-endian.
const (
	DTypeBOOL DType = "BOOL"
	DTypeU8   DType = "U8"
	DTypeI8   DType = "I8"
	DTypeI16  DType = "I16"
	DTypeU16  DType = "U16"
	DTypeF16  DType = "F16"
	DTypeBF16 DType = "BF16"
	DTypeI32  DType = "I32"
	DTypeU32  DType = "U32"
	DTypeF32  DType = "F32"
	DTypeI64  DType = "I64"
	DTypeU64  DType = "U64"
	DTypeF64  DType = "F64"
)

var dtypeSizes = map[DType]int{
	DTypeBOOL: 1, DTypeU8: 1, DTypeI8: 1,
	DTypeI16: 2, DTypeU16: 2, DTypeF16: 2, DTypeBF16: 2,
	DTypeI32: 4, DTypeU32: 4, DTypeF32: 4,
	DTypeI64: 8, DTypeU64: 8, DTypeF64: 8,
}

// Size is the width of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Valid reports whether d is a dtype this package knows.
func (d DType) Valid() bool { return d.Size() > 0 }

func checkDType(d DType) error {
	if !d.Valid() {
		return fmt.Errorf("%w: unknown dtype %q", ErrDType, string(d))
	}
	return nil
}
