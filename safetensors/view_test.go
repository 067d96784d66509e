package safetensors

import (
	"math"
	"testing"
	"unsafe"
)

// TestFloat32sView checks the view against the values encoded, on aligned data (a
// view) and on data starting at an odd address (a copy).
func TestFloat32sView(t *testing.T) {
	want := []float32{1, -2.5, float32(math.Inf(1)), 3e-39, 0}
	aligned := f32Bytes(want, false)
	buf := make([]byte, len(aligned)+1)
	copy(buf[1:], aligned)
	for name, data := range map[string][]byte{"aligned": aligned, "misaligned": buf[1:]} {
		tn := Tensor{Name: "x", DType: DTypeF32, Shape: []int{len(want)}, Data: data}
		got, err := tn.Float32sView()
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d is %g, want %g", name, i, got[i], want[i])
			}
		}
		shared := unsafe.Pointer(unsafe.SliceData(got)) == unsafe.Pointer(unsafe.SliceData(data))
		if wantShared := name == "aligned" && nativeLittleEndian; shared != wantShared {
			t.Fatalf("%s: view shares the data: %v, want %v", name, shared, wantShared)
		}
	}
}
