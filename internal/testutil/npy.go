package testutil

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// NPY builds an NPY version 1.0 file (or .npz member) the way numpy.save writes it: the
// magic, a little-endian header length, the header dict padded with spaces to a multiple
// of 64 bytes and ending in a newline, then data as given. descr is the NumPy dtype
// ("|u1", "<f4", …) and shape is in C order; a 1-d shape is written "(n,)" as Python does.
func NPY(descr string, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	st := strings.Join(dims, ", ")
	if len(shape) == 1 {
		st += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, st)
	pad := 64 - (10+len(dict)+1)%64
	dict += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(data)
	return b.Bytes()
}

// NPYFloat32 is NPY of little-endian float32 values ("<f4").
func NPYFloat32(shape []int, v []float32) []byte {
	data := make([]byte, 0, 4*len(v))
	for _, x := range v {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
	}
	return NPY("<f4", shape, data)
}
