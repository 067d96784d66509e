package testutil

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestNPYHeaderIsNumpys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape []int
		dims  string
	}{{[]int{4}, "(4,)"}, {[]int{2, 3}, "(2, 3)"}, {[]int{5, 8, 8}, "(5, 8, 8)"}} {
		data := []byte{1, 2, 3}
		b := NPY("|u1", tc.shape, data)
		if !bytes.HasPrefix(b, []byte("\x93NUMPY\x01\x00")) {
			t.Fatalf("%v: magic %q", tc.shape, b[:8])
		}
		n := int(binary.LittleEndian.Uint16(b[8:10]))
		if (10+n)%64 != 0 || b[10+n-1] != '\n' {
			t.Errorf("%v: header of %d bytes does not end a 64-byte block with a newline", tc.shape, n)
		}
		hdr := string(b[10 : 10+n])
		if want := "{'descr': '|u1', 'fortran_order': False, 'shape': " + tc.dims + ", }"; !bytes.HasPrefix([]byte(hdr), []byte(want)) {
			t.Errorf("header %q, want it to start %q", hdr, want)
		}
		if !bytes.Equal(b[10+n:], data) {
			t.Errorf("%v: data %v, want %v", tc.shape, b[10+n:], data)
		}
	}
}

func TestNPYFloat32IsLittleEndianF4(t *testing.T) {
	t.Parallel()
	b := NPYFloat32([]int{2}, []float32{1, -6.5})
	want := NPY("<f4", []int{2}, []byte{0, 0, 0x80, 0x3f, 0, 0, 0xd0, 0xc0})
	if !bytes.Equal(b, want) {
		t.Fatalf("NPYFloat32 = %x, want %x", b, want)
	}
}
