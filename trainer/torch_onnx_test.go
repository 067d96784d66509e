package trainer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/internal/testutil"
)

func TestDecodeNPYFloat32(t *testing.T) {
	t.Parallel()
	v, shape, err := decodeNPYFloat32(testutil.NPYFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, -6.5}))
	if err != nil || !reflect.DeepEqual(shape, []int{2, 3}) || v[5] != -6.5 {
		t.Fatalf("got %v %v %v", v, shape, err)
	}
	if _, shape, err := decodeNPYFloat32(testutil.NPYFloat32([]int{4}, []float32{1, 2, 3, 4})); err != nil || !reflect.DeepEqual(shape, []int{4}) {
		t.Fatalf("1-d: %v %v", shape, err)
	}
	for name, data := range map[string][]byte{
		"short data":  testutil.NPYFloat32([]int{2, 3}, []float32{1, 2}),
		"float64":     []byte(strings.Replace(string(testutil.NPYFloat32([]int{1}, []float32{1})), "<f4", "<f8", 1)),
		"fortran":     []byte(strings.Replace(string(testutil.NPYFloat32([]int{1}, []float32{1})), "False", "True ", 1)),
		"no magic":    []byte("hello world, not numpy"),
		"huge header": append([]byte("\x93NUMPY\x01\x00"), 0xff, 0xff),
	} {
		if _, _, err := decodeNPYFloat32(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeNPYFloat32(f *testing.F) {
	f.Add(testutil.NPYFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	f.Add(testutil.NPYFloat32([]int{0}, nil))
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, shape, err := decodeNPYFloat32(data)
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if n != len(v) {
			t.Fatalf("shape %v holds %d values, decoded %d", shape, n, len(v))
		}
	})
}
