package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// MaxSampleBytes bounds a sample .npy file a script hands over with its model.
const MaxSampleBytes = 256 << 20

// CheckSamples runs a script's exported model through ONNX Runtime on the sample
// inputs it saved (.npy bytes) and compares with the outputs it computed in its own
// framework: the model a trust will run must be the model that trained. It returns the
// max |diff| and refuses the model above Tolerance. The agent checks when a script
// hands a model over; a release checks again.
func CheckSamples(model, inputsNPY, outputsNPY []byte) (float64, error) {
	x, xShape, err := DecodeNPYFloat32(inputsNPY)
	if err != nil {
		return 0, fmt.Errorf("sample inputs: %w", err)
	}
	y, yShape, err := DecodeNPYFloat32(outputsNPY)
	if err != nil {
		return 0, fmt.Errorf("sample outputs: %w", err)
	}
	if len(xShape) < 1 || len(yShape) < 1 || xShape[0] != yShape[0] || xShape[0] < 1 {
		return 0, fmt.Errorf("sample inputs %v and outputs %v must be [n, …] with the same n ≥ 1", xShape, yShape)
	}
	sess, err := Load(model)
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	n := xShape[0]
	if len(x) != n*sess.InputSize() || len(y) != n*sess.OutputSize() {
		return 0, fmt.Errorf("samples %v → %v do not fit the model (%d inputs, %d outputs per sample)", xShape, yShape, sess.InputSize(), sess.OutputSize())
	}
	got, err := sess.Run(x, n)
	if err != nil {
		return 0, err
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(y[i]))
		if math.IsNaN(d) {
			return 0, fmt.Errorf("output %d is NaN in ONNX Runtime or in the samples", i)
		}
		worst = max(worst, d)
	}
	if worst > Tolerance {
		return worst, fmt.Errorf("ONNX Runtime's outputs differ from the script's by up to %.3g (limit %g)", worst, Tolerance)
	}
	return worst, nil
}

var (
	errNPY        = errors.New("not a little-endian float32 C-order .npy array")
	npyMagic      = []byte("\x93NUMPY")
	npyHeaderDict = regexp.MustCompile(`^\{'descr': '<f4', 'fortran_order': False, 'shape': \(((?:[0-9]{1,10}, )*(?:[0-9]{1,10},?)?)\), \} *\n$`)
)

// DecodeNPYFloat32 parses a version 1–3 .npy file of little-endian float32 in C order,
// as numpy.save writes for a float32 array; anything else is refused.
func DecodeNPYFloat32(data []byte) ([]float32, []int, error) {
	if len(data) < 10 || !bytes.HasPrefix(data, npyMagic) {
		return nil, nil, fmt.Errorf("%w: no NUMPY magic", errNPY)
	}
	var hlen, start int
	switch data[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2, 3:
		if len(data) < 12 {
			return nil, nil, fmt.Errorf("%w: truncated header", errNPY)
		}
		hlen, start = int(binary.LittleEndian.Uint32(data[8:12])), 12
	default:
		return nil, nil, fmt.Errorf("%w: version %d", errNPY, data[6])
	}
	if hlen > 1<<16 || start+hlen > len(data) {
		return nil, nil, fmt.Errorf("%w: header of %d bytes", errNPY, hlen)
	}
	m := npyHeaderDict.FindSubmatch(data[start : start+hlen])
	if m == nil {
		return nil, nil, fmt.Errorf("%w: header %q", errNPY, data[start:start+min(hlen, 120)])
	}
	var shape []int
	count := 1
	for _, f := range strings.Split(strings.TrimSuffix(strings.TrimSpace(string(m[1])), ","), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 || d > MaxSampleBytes {
			return nil, nil, fmt.Errorf("%w: dimension %q", errNPY, f)
		}
		shape = append(shape, d)
		count *= d
		if count > MaxSampleBytes/4 {
			return nil, nil, fmt.Errorf("%w: shape %v is too large", errNPY, shape)
		}
	}
	body := data[start+hlen:]
	if len(body) != 4*count {
		return nil, nil, fmt.Errorf("%w: %d data bytes for shape %v (want %d)", errNPY, len(body), shape, 4*count)
	}
	out := make([]float32, count)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return out, shape, nil
}
