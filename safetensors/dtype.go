package safetensors

import "fmt"

// DType is a tensor element type, spelled as in the safetensors header.
type DType string

// The element types dxtrain reads and writes. All are little-endian.
const (
	BOOL DType = "BOOL"
	U8   DType = "U8"
	I8   DType = "I8"
	I16  DType = "I16"
	U16  DType = "U16"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I32  DType = "I32"
	U32  DType = "U32"
	F32  DType = "F32"
	I64  DType = "I64"
	U64  DType = "U64"
	F64  DType = "F64"
)

var dtypeSizes = map[DType]int{
	BOOL: 1, U8: 1, I8: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	I64: 8, U64: 8, F64: 8,
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
