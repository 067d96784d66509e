package onnx

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/internal/testutil"
)

func TestDecodeNPYFloat32(t *testing.T) {
	t.Parallel()
	v, shape, err := DecodeNPYFloat32(testutil.NPYFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, -6.5}))
	if err != nil || !reflect.DeepEqual(shape, []int{2, 3}) || v[5] != -6.5 {
		t.Fatalf("got %v %v %v", v, shape, err)
	}
	if _, shape, err := DecodeNPYFloat32(testutil.NPYFloat32([]int{4}, []float32{1, 2, 3, 4})); err != nil || !reflect.DeepEqual(shape, []int{4}) {
		t.Fatalf("1-d: %v %v", shape, err)
	}
	for name, data := range map[string][]byte{
		"short data":  testutil.NPYFloat32([]int{2, 3}, []float32{1, 2}),
		"float64":     []byte(strings.Replace(string(testutil.NPYFloat32([]int{1}, []float32{1})), "<f4", "<f8", 1)),
		"fortran":     []byte(strings.Replace(string(testutil.NPYFloat32([]int{1}, []float32{1})), "False", "True ", 1)),
		"no magic":    []byte("hello world, not numpy"),
		"huge header": append([]byte("\x93NUMPY\x01\x00"), 0xff, 0xff),
	} {
		if _, _, err := DecodeNPYFloat32(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeNPYFloat32(f *testing.F) {
	f.Add(testutil.NPYFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	f.Add(testutil.NPYFloat32([]int{0}, nil))
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, shape, err := DecodeNPYFloat32(data)
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

func TestCheckSamples(t *testing.T) {
	requireRuntime(t)
	net, params, pre := fixtures()[1].build(t, 7)
	model := mustExport(t, net, params, pre, nil)
	x := rawInputs(net, pre, 4, 7)
	sess, err := Load(model)
	if err != nil {
		t.Fatal(err)
	}
	y, err := sess.Run(x, 4)
	sess.Close()
	if err != nil {
		t.Fatal(err)
	}
	in, out := testutil.NPYFloat32([]int{4, net.InputSize()}, x), testutil.NPYFloat32([]int{4, net.Outputs()}, y)
	if diff, err := CheckSamples(model, in, out); err != nil || diff != 0 {
		t.Fatalf("the model's own outputs: diff %g, %v", diff, err)
	}
	y[3] += 1e-3
	if _, err := CheckSamples(model, in, testutil.NPYFloat32([]int{4, net.Outputs()}, y)); err == nil {
		t.Fatal("outputs 1e-3 away were accepted")
	}
	if _, err := CheckSamples(model, in, testutil.NPYFloat32([]int{3, net.Outputs()}, y[:3*net.Outputs()])); err == nil {
		t.Fatal("3 outputs for 4 inputs were accepted")
	}
	if _, err := CheckSamples([]byte("not onnx"), in, out); err == nil {
		t.Fatal("a non-model was accepted")
	}
}

func TestRefusedSaysWhenTheModelWasNotChecked(t *testing.T) {
	if err := Refused("export wdbc", fmt.Errorf("load: %w at /nowhere", ErrLibraryMissing)); strings.Contains(err.Error(), "refused") ||
		!strings.Contains(err.Error(), "could not be checked here") || !errors.Is(err, ErrLibraryMissing) {
		t.Fatalf("a missing library: %v", err)
	}
	if err := Refused("export wdbc", ErrParity); !strings.Contains(err.Error(), "export wdbc: refused: ") || !errors.Is(err, ErrParity) {
		t.Fatalf("a failed parity check: %v", err)
	}
}
