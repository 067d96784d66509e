package onnx

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Session is one ONNX model loaded into ONNX Runtime, ready to run on any batch size.
// Run may be called from several goroutines; Close once no Run is in flight.
type Session struct {
	in, out ioShape
	sess    *ort.DynamicAdvancedSession
	close   sync.Once
}

// LoadOption adjusts how Load builds the ONNX Runtime session.
type LoadOption func(*loadConfig)

type loadConfig struct{ threads int }

// WithThreads sets ONNX Runtime's intra-op thread count; 0 lets ONNX Runtime use every
// core. The default is 1: predictable on a shared machine and for latency figures.
func WithThreads(n int) LoadOption { return func(c *loadConfig) { c.threads = n } }

// Load parses model, initialises ONNX Runtime on first use (see LibraryPath) and
// creates a session. The model must have one float32 input and one float32 output,
// each [batch, …] with a dynamic batch dimension, as Export writes.
func Load(model []byte, opts ...LoadOption) (*Session, error) {
	cfg := loadConfig{threads: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.threads < 0 {
		return nil, fmt.Errorf("load onnx model: %d threads", cfg.threads)
	}
	m, err := parseModel(model)
	if err != nil {
		return nil, fmt.Errorf("load onnx model: %w", err)
	}
	in, out, err := signature(m)
	if err != nil {
		return nil, fmt.Errorf("load onnx model: %w", err)
	}
	if err := initRuntime(); err != nil {
		return nil, fmt.Errorf("load onnx model: %w", err)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("load onnx model: session options: %w", err)
	}
	defer so.Destroy()
	if cfg.threads > 0 {
		if err := so.SetIntraOpNumThreads(cfg.threads); err != nil {
			return nil, fmt.Errorf("load onnx model: intra-op threads %d: %w", cfg.threads, err)
		}
		if err := so.SetInterOpNumThreads(1); err != nil {
			return nil, fmt.Errorf("load onnx model: inter-op threads: %w", err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{in.name}, []string{out.name}, so)
	if err != nil {
		return nil, fmt.Errorf("load onnx model: %w: %w", ErrInvalidModel, err)
	}
	return &Session{in: in, out: out, sess: sess}, nil
}

// InputSize is the number of float32 values per sample the model reads.
func (s *Session) InputSize() int { return s.in.size() }

// OutputSize is the number of float32 values per sample the model writes.
func (s *Session) OutputSize() int { return s.out.size() }

// batchValues bounds the input values handed to ONNX Runtime in one call. One call
// on a whole data set makes ONNX Runtime allocate every intermediate activation for
// all of it at once: 20,000 lesion images in one batch ran at 1,400 images/s with
// 3.7 GB resident, in batches of about 1,000 at 12,000 images/s. 1 Mi values
// (4 MiB) keeps tabular sets of tens of thousands of rows in one call. A variable so
// that tests can make batches small.
var batchValues = 1 << 20

// Run feeds n samples (row-major, n × InputSize values) and returns n × OutputSize
// values. Large inputs run in batches of at most batchValues values; the models
// dxtrain exports treat each sample alone, so batching does not change the output.
func (s *Session) Run(x []float32, n int) ([]float32, error) {
	if n < 1 {
		return nil, fmt.Errorf("onnx run: %d samples, need at least 1", n)
	}
	in, out := s.in.size(), s.out.size()
	if len(x) != n*in {
		return nil, fmt.Errorf("onnx run: input has %d values, want %d samples × %d", len(x), n, in)
	}
	rows := max(1, batchValues/in)
	result := make([]float32, 0, n*out)
	for start := 0; start < n; start += rows {
		end := min(n, start+rows)
		var err error
		if result, err = s.runBatch(x[start*in:end*in], end-start, result); err != nil {
			if end-start < n {
				return nil, fmt.Errorf("samples %d to %d: %w", start, end-1, err)
			}
			return nil, err
		}
	}
	return result, nil
}

// runBatch runs n samples in one ONNX Runtime call and appends their outputs to dst.
func (s *Session) runBatch(x []float32, n int, dst []float32) ([]float32, error) {
	shape := ort.NewShape(append([]int64{int64(n)}, s.in.dims...)...)
	input, err := ort.NewTensor(shape, x)
	if err != nil {
		return nil, fmt.Errorf("onnx run: input tensor %v: %w", shape, err)
	}
	defer input.Destroy()
	outputs := []ort.Value{nil} // ONNX Runtime allocates the output
	if err := s.sess.Run([]ort.Value{input}, outputs); err != nil {
		return nil, fmt.Errorf("onnx run: %d samples: %w", n, err)
	}
	defer outputs[0].Destroy()
	t, ok := outputs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("onnx run: output %q is %T, want a float32 tensor", s.out.name, outputs[0])
	}
	data := t.GetData()
	if len(data) != n*s.out.size() {
		return nil, fmt.Errorf("onnx run: output %q has %d values (shape %v), want %d samples × %d", s.out.name, len(data), t.GetShape(), n, s.out.size())
	}
	return append(dst, data...), nil
}

// Close releases the ONNX Runtime session. It is safe to call more than once.
func (s *Session) Close() error {
	var err error
	s.close.Do(func() {
		if e := s.sess.Destroy(); e != nil {
			err = fmt.Errorf("close onnx session: %w", e)
		}
	})
	return err
}
