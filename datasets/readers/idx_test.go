package readers

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// idxBytes builds an IDX file as the format defines it.
func idxBytes(typ byte, dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadIDXImages(t *testing.T) {
	t.Parallel()
	pixels := []byte{0, 255, 51, 102, 0, 0, 255, 255} // 2 images of 2×2
	images := idxBytes(IDXUint8, []int{2, 2, 2}, pixels)
	labels := idxBytes(IDXUint8, []int{2}, []byte{7, 3})
	for _, tc := range []struct {
		name           string
		images, labels []byte
	}{
		{"plain", images, labels},
		{"gzipped", gzipped(t, images), gzipped(t, labels)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := ReadIDXImages(bytes.NewReader(tc.images), bytes.NewReader(tc.labels), 0)
			if err != nil {
				t.Fatal(err)
			}
			if im.N != 2 || im.C != 1 || im.H != 2 || im.W != 2 {
				t.Fatalf("shape %d×%d×%d×%d", im.N, im.C, im.H, im.W)
			}
			if err := im.Check(); err != nil {
				t.Fatal(err)
			}
			want := []float32{0, 1, 0.2, 0.4, 0, 0, 1, 1}
			for i, w := range want {
				if math.Abs(float64(im.X[i]-w)) > 1e-6 {
					t.Errorf("pixel %d = %v, want %v", i, im.X[i], w)
				}
			}
			if im.Y[0] != 7 || im.Y[1] != 3 {
				t.Errorf("labels %v", im.Y)
			}
		})
	}
}

func TestIDXPixelTypes(t *testing.T) {
	t.Parallel()
	f32 := make([]byte, 8)
	binary.BigEndian.PutUint32(f32, math.Float32bits(0.25))
	binary.BigEndian.PutUint32(f32[4:], math.Float32bits(1))
	i16 := []byte{0x80, 0x00, 0x7f, 0xff} // -32768, 32767
	for _, tc := range []struct {
		name string
		typ  byte
		data []byte
		want []float32
	}{
		{"float32", IDXFloat32, f32, []float32{0.25, 1}},
		{"int16", IDXInt16, i16, []float32{0, 1}},
		{"int8", IDXInt8, []byte{0x80, 0x7f}, []float32{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadIDX(bytes.NewReader(idxBytes(tc.typ, []int{1, 1, 2}, tc.data)), 0)
			if err != nil {
				t.Fatal(err)
			}
			px, err := a.Pixels()
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				if math.Abs(float64(px[i]-tc.want[i])) > 1e-6 {
					t.Errorf("pixel %d = %v, want %v", i, px[i], tc.want[i])
				}
			}
		})
	}
}

func TestReadIDXErrors(t *testing.T) {
	t.Parallel()
	nan := make([]byte, 4)
	binary.BigEndian.PutUint32(nan, math.Float32bits(float32(math.NaN())))
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, ErrFormat},
		{"unknown type", idxBytes(0x0A, []int{1}, []byte{0}), ErrFormat},
		{"zero dims", []byte{0, 0, 8, 0}, ErrFormat},
		{"too many dims", []byte{0, 0, 8, 9}, ErrFormat},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 1}, ErrTruncated},
		{"truncated data", idxBytes(IDXUint8, []int{2, 2, 2}, []byte{1, 2, 3}), ErrTruncated},
		{"trailing data", idxBytes(IDXUint8, []int{1}, []byte{1, 2}), ErrTrailing},
		{"huge dims", idxBytes(IDXUint8, []int{1 << 20, 1 << 20, 1 << 20}, nil), ErrTooLarge},
		{"gzip garbage", []byte{0x1f, 0x8b, 1, 2, 3}, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tc.data), 1<<20)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("nan pixel", func(t *testing.T) {
		a, err := ReadIDX(bytes.NewReader(idxBytes(IDXFloat32, []int{1}, nan)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Pixels(); !errors.Is(err, ErrValue) {
			t.Fatalf("err = %v, want ErrValue", err)
		}
	})
	t.Run("count mismatch", func(t *testing.T) {
		_, err := ReadIDXImages(bytes.NewReader(idxBytes(IDXUint8, []int{2, 1, 1}, []byte{1, 2})),
			bytes.NewReader(idxBytes(IDXUint8, []int{3}, []byte{1, 2, 3})), 0)
		if !errors.Is(err, ErrMismatch) {
			t.Fatalf("err = %v, want ErrMismatch", err)
		}
	})
}

// FuzzReadIDX checks that no input panics and that no input makes the
// reader hold more data than it supplied.
func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(IDXUint8, []int{2, 2, 2}, []byte{0, 255, 51, 102, 0, 0, 255, 255}))
	f.Add(idxBytes(IDXUint8, []int{3}, []byte{1, 2, 3}))
	f.Add(idxBytes(IDXFloat64, []int{1}, make([]byte, 8)))
	f.Add(gzipped(f, idxBytes(IDXInt32, []int{1, 1, 1}, []byte{0, 0, 0, 9})))
	f.Add(idxBytes(IDXUint8, []int{1 << 30, 1 << 30}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadIDX(bytes.NewReader(data), 1<<24)
		if err != nil {
			return
		}
		if len(data) > 2 && data[0] != 0x1f && len(a.Data) > len(data) {
			t.Fatalf("%d data bytes from a %d-byte input", len(a.Data), len(data))
		}
		if px, err := a.Pixels(); err == nil && len(px)*idxElemSize(a.Type) != len(a.Data) {
			t.Fatalf("%d pixels from %d bytes", len(px), len(a.Data))
		}
		_, _ = a.Labels()
	})
}
