package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// raw builds a file from a literal header and data, for corruption tests.
func raw(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func sampleTensors() []Tensor {
	return []Tensor{
		F32("weights", []int{2, 3}, []float32{1, -2.5, 3, float32(math.Inf(1)), 0, 1e-30}),
		I32("labels", []int{4}, []int32{0, 1, -1, math.MaxInt32}),
		F64("scale", []int{}, []float64{math.Pi}),
		I64("cursor", []int{1, 2}, []int64{math.MinInt64, 42}),
		U8("mask", []int{3}, []byte{0, 1, 255}),
		F32("empty", []int{0, 5}, nil),
	}
}

func TestRoundTrip(t *testing.T) {
	in := sampleTensors()
	meta := map[string]string{"spec_hash": "abc", "step": "12"}
	b, err := Marshal(in, meta)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	hlen := binary.LittleEndian.Uint64(b[:8])
	if hlen%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", hlen)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !reflect.DeepEqual(f.Metadata, meta) {
		t.Errorf("metadata = %v, want %v", f.Metadata, meta)
	}
	if len(f.Tensors) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(f.Tensors), len(in))
	}
	for i := 1; i < len(f.Tensors); i++ {
		if f.Tensors[i-1].Name >= f.Tensors[i].Name {
			t.Errorf("tensors not sorted: %q before %q", f.Tensors[i-1].Name, f.Tensors[i].Name)
		}
	}
	for _, want := range in {
		got, ok := f.Get(want.Name)
		if !ok {
			t.Fatalf("Get(%q) missing", want.Name)
		}
		if got.DType != want.DType || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %q = %+v, want %+v", want.Name, got, want)
		}
	}
	w, _ := f.Get("weights")
	v, err := w.Float32s()
	if err != nil || len(v) != 6 || v[1] != -2.5 || !math.IsInf(float64(v[3]), 1) || v[5] != 1e-30 {
		t.Errorf("weights.Float32s() = %v, %v", v, err)
	}
	l, _ := f.Get("labels")
	iv, err := l.Int32s()
	if err != nil || !reflect.DeepEqual(iv, []int32{0, 1, -1, math.MaxInt32}) {
		t.Errorf("labels.Int32s() = %v, %v", iv, err)
	}
	c, _ := f.Get("cursor")
	i64, err := c.Int64s()
	if err != nil || !reflect.DeepEqual(i64, []int64{math.MinInt64, 42}) {
		t.Errorf("cursor.Int64s() = %v, %v", i64, err)
	}
	s, _ := f.Get("scale")
	f64, err := s.Float64s()
	if err != nil || !reflect.DeepEqual(f64, []float64{math.Pi}) {
		t.Errorf("scale.Float64s() = %v, %v", f64, err)
	}
	if _, err := w.Int32s(); !errors.Is(err, ErrDType) {
		t.Errorf("F32 tensor.Int32s() error = %v, want ErrDType", err)
	}
	if _, ok := f.Get("absent"); ok {
		t.Error("Get(absent) reported a tensor")
	}
}

// TestEncodeLayout pins the exact bytes of a small file: sorted keys, tensors
// laid out by name, space padding to 8.
func TestEncodeLayout(t *testing.T) {
	b, err := Marshal([]Tensor{
		U8("b", []int{2}, []byte{7, 8}),
		U8("a", []int{1}, []byte{9}),
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,1],"dtype":"U8","shape":[1]},"b":{"data_offsets":[1,3],"dtype":"U8","shape":[2]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	if want := raw(header, []byte{9, 7, 8}); !bytes.Equal(b, want) {
		t.Errorf("encoded\n%q\nwant\n%q", b, want)
	}
}

func TestEncodeDeterministic(t *testing.T) {
	in := sampleTensors()
	a, err := Marshal(in, map[string]string{"x": "1", "y": "2"})
	if err != nil {
		t.Fatal(err)
	}
	rev := make([]Tensor, len(in))
	for i := range in {
		rev[len(in)-1-i] = in[i]
	}
	b, err := Marshal(rev, map[string]string{"y": "2", "x": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("encoding depends on input order")
	}
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"duplicate name", []Tensor{U8("a", []int{1}, []byte{1}), U8("a", []int{1}, []byte{2})}, `duplicate tensor name "a"`},
		{"empty name", []Tensor{U8("", []int{1}, []byte{1})}, "not allowed"},
		{"invalid utf-8 name", []Tensor{U8("a\xff", []int{1}, []byte{1})}, "not allowed"},
		{"reserved name", []Tensor{U8("__metadata__", []int{1}, []byte{1})}, "not allowed"},
		{"unknown dtype", []Tensor{{Name: "a", DType: "F8", Shape: []int{1}, Data: []byte{1}}}, `unknown dtype "F8"`},
		{"size mismatch", []Tensor{F32("a", []int{3}, []float32{1, 2})}, "8 data bytes, shape [3] of F32 needs 12"},
		{"negative shape", []Tensor{{Name: "a", DType: DTypeU8, Shape: []int{-1}}}, "negative"},
		{"overflowing shape", []Tensor{{Name: "a", DType: DTypeF64, Shape: []int{math.MaxInt32, math.MaxInt32, 8}}}, "overflows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Encode error = %v, want it to contain %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 100_000_001)
	long := make([]byte, 16)
	binary.LittleEndian.PutUint64(long, 9)
	entry := func(name, dtype, shape, offsets string) string {
		return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	tests := []struct {
		name string
		data []byte
		err  error
		want string
	}{
		{"short", []byte{1, 2, 3}, ErrTruncated, "need at least"},
		{"header over limit", huge, ErrHeader, "exceeds"},
		{"header longer than file", long, ErrTruncated, "header length 9 but only 8 bytes follow"},
		{"empty header", raw("", nil), ErrHeader, "does not start"},
		{"not an object", raw("[1]", nil), ErrHeader, "does not start"},
		{"invalid json", raw("{\"a\":", nil), ErrHeader, ""},
		{"trailing garbage", raw("{} x", nil), ErrHeader, "trailing"},
		{"invalid utf-8", raw("{\"\xff\":1}", nil), ErrHeader, "UTF-8"},
		{"unknown dtype", raw("{"+entry("a", "Q7", "[1]", "[0,1]")+"}", []byte{0}), ErrDType, `unknown dtype "Q7"`},
		{"negative shape", raw("{"+entry("a", "U8", "[-1]", "[0,1]")+"}", []byte{0}), ErrHeader, "shape dimension 0 is -1"},
		{"fractional shape", raw("{"+entry("a", "U8", "[1.5]", "[0,1]")+"}", []byte{0}), ErrHeader, `field "shape"`},
		{"overflowing shape", raw("{"+entry("a", "F64", "[4294967296,4294967296]", "[0,8]")+"}", make([]byte, 8)), ErrHeader, "overflows"},
		{"offsets out of range", raw("{"+entry("a", "U8", "[4]", "[0,4]")+"}", []byte{0, 0}), ErrLayout, "outside the 2-byte data buffer"},
		{"offsets reversed", raw("{"+entry("a", "U8", "[0]", "[2,1]")+"}", []byte{0, 0}), ErrLayout, "outside"},
		{"three offsets", raw("{"+entry("a", "U8", "[1]", "[0,1,2]")+"}", []byte{0}), ErrHeader, "has 3 values"},
		{"size mismatch", raw("{"+entry("a", "F32", "[2]", "[0,4]")+"}", make([]byte, 4)), ErrLayout, "span 4 bytes, shape [2] of F32 needs 8"},
		{"overlap", raw("{"+entry("a", "U8", "[2]", "[0,2]")+","+entry("b", "U8", "[2]", "[1,3]")+"}", make([]byte, 3)), ErrLayout, "overlaps"},
		{"gap", raw("{"+entry("a", "U8", "[1]", "[0,1]")+","+entry("b", "U8", "[1]", "[2,3]")+"}", make([]byte, 3)), ErrLayout, "gap of 1 bytes"},
		{"uncovered tail", raw("{"+entry("a", "U8", "[1]", "[0,1]")+"}", make([]byte, 3)), ErrLayout, "cover 1 of the 3"},
		{"duplicate name", raw("{"+entry("a", "U8", "[1]", "[0,1]")+","+entry("a", "U8", "[1]", "[1,2]")+"}", make([]byte, 2)), ErrHeader, `duplicate key "a"`},
		{"duplicate field", raw(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), ErrHeader, `duplicate key "dtype"`},
		{"unknown field", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, []byte{0}), ErrHeader, `unknown field "x"`},
		{"missing field", raw(`{"a":{"dtype":"U8","shape":[1]}}`, []byte{0}), ErrHeader, "needs dtype, shape and data_offsets"},
		{"metadata not strings", raw(`{"__metadata__":{"k":1}}`, nil), ErrHeader, "is not a string"},
		{"tensor not an object", raw(`{"a":3}`, nil), ErrHeader, "expected a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(tt.data)
			if err == nil {
				t.Fatalf("Decode succeeded with %d tensors, want an error", len(f.Tensors))
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %v does not wrap %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeAcceptsReferenceOrder(t *testing.T) {
	// The reference writer puts __metadata__ first and need not sort keys;
	// empty tensors may sit at the cursor.
	header := `{"__metadata__":{"format":"pt"},"z":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}  `
	f, err := Decode(raw(header, []byte{1, 0, 0, 0, 5, 6}))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, t := range f.Tensors {
		names = append(names, t.Name)
	}
	if !reflect.DeepEqual(names, []string{"a", "e", "z"}) || f.Metadata["format"] != "pt" {
		t.Errorf("tensors %v, metadata %v", names, f.Metadata)
	}
}

func FuzzDecode(f *testing.F) {
	good, err := Marshal(sampleTensors(), map[string]string{"a": "b"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(raw(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add(raw(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}))
	f.Add(raw(`{}`, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Marshal(file.Tensors, file.Metadata)
		if err != nil {
			t.Fatalf("decoded file does not re-encode: %v", err)
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		if len(back.Tensors) != len(file.Tensors) || len(back.Metadata) != len(file.Metadata) {
			t.Fatalf("round trip changed counts")
		}
		for i, a := range file.Tensors {
			b := back.Tensors[i]
			if a.Name != b.Name || a.DType != b.DType || !reflect.DeepEqual(a.Shape, b.Shape) || !bytes.Equal(a.Data, b.Data) {
				t.Fatalf("round trip changed tensor %q", a.Name)
			}
		}
		for k, v := range file.Metadata {
			if back.Metadata[k] != v {
				t.Fatalf("round trip changed metadata %q", k)
			}
		}
		enc, err := NewEncoding(file.Tensors, file.Metadata)
		if err != nil {
			t.Fatalf("decoded file has no Encoding: %v", err)
		}
		streamed, err := io.ReadAll(enc)
		if err != nil || !bytes.Equal(streamed, again) {
			t.Fatalf("Encoding differs from Marshal (error %v)", err)
		}
	})
}

func TestEncodeRejectsInvalidMetadata(t *testing.T) {
	var buf bytes.Buffer
	err := Encode(&buf, nil, map[string]string{"note": "\xff"})
	if !errors.Is(err, ErrTensor) || buf.Len() != 0 {
		t.Errorf("Encode with invalid UTF-8 metadata: error %v, %d bytes written", err, buf.Len())
	}
}
