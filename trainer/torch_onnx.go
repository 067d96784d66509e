package trainer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/dxtrain/dxtrain/models/onnx"
)

// onnxTolerance is the largest |ONNX Runtime − script| output difference accepted for
// a torch run's exported model: the native exporter's bar.
const onnxTolerance = 1e-4

// maxSampleBytes bounds a sample .npy file the script hands over.
const maxSampleBytes = 256 << 20

// checkTorchONNX runs the script's exported model through ONNX Runtime on the sample
// inputs it saved and compares with the outputs it computed in PyTorch: the model a
// trust will run must be the model that trained. It returns the max |diff|.
func checkTorchONNX(model []byte, inputsPath, outputsPath string) (float64, error) {
	x, xShape, err := readNPYFile(inputsPath)
	if err != nil {
		return 0, fmt.Errorf("sample inputs: %w", err)
	}
	y, yShape, err := readNPYFile(outputsPath)
	if err != nil {
		return 0, fmt.Errorf("sample outputs: %w", err)
	}
	if len(xShape) < 1 || len(yShape) < 1 || xShape[0] != yShape[0] || xShape[0] < 1 {
		return 0, fmt.Errorf("sample inputs %v and outputs %v must be [n, …] with the same n ≥ 1", xShape, yShape)
	}
	sess, err := onnx.Load(model)
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
	if worst > onnxTolerance {
		return worst, fmt.Errorf("ONNX Runtime's outputs differ from the script's by up to %.3g (limit %g)", worst, onnxTolerance)
	}
	return worst, nil
}

func readNPYFile(path string) ([]float32, []int, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if info.Size() > maxSampleBytes {
		return nil, nil, fmt.Errorf("%s is %d bytes, the limit is %d", path, info.Size(), maxSampleBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	v, shape, err := decodeNPYFloat32(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, shape, nil
}

var (
	errNPY        = errors.New("not a little-endian float32 C-order .npy array")
	npyMagic      = []byte("\x93NUMPY")
	npyHeaderDict = regexp.MustCompile(`^\{'descr': '<f4', 'fortran_order': False, 'shape': \(((?:[0-9]{1,10}, )*(?:[0-9]{1,10},?)?)\), \} *\n$`)
)

// decodeNPYFloat32 parses a version 1–3 .npy file of little-endian float32 in C order,
// as numpy.save writes for a float32 array; anything else is refused.
func decodeNPYFloat32(data []byte) ([]float32, []int, error) {
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
		return nil, nil, fmt.Errorf("%w: header %q", errNPY, truncateUTF8(string(data[start:start+hlen]), 120))
	}
	var shape []int
	count := 1
	for _, f := range strings.Split(strings.TrimSuffix(strings.TrimSpace(string(m[1])), ","), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 || d > maxSampleBytes {
			return nil, nil, fmt.Errorf("%w: dimension %q", errNPY, f)
		}
		shape = append(shape, d)
		count *= d
		if count > maxSampleBytes/4 {
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
