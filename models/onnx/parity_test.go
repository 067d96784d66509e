package onnx

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/dxtrain/dxtrain/models"
)

// TestParity exports every architecture with a non-trivial standardisation and checks
// ONNX Runtime against models.Infer on batches of 1, 7 and 64 through the same file.
func TestParity(t *testing.T) {
	requireRuntime(t)
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			net, params, pre := f.build(t, 7)
			model := mustExport(t, net, params, pre, nil)
			for _, n := range []int{1, 7, 64} {
				x := rawInputs(net, pre, n, uint64(n))
				diff, err := Verify(model, net, params, pre, x, n, Tolerance)
				if err != nil {
					t.Fatalf("batch %d: %v", n, err)
				}
				t.Logf("batch %d: max |diff| %.3g", n, diff)
			}
		})
	}
}

// TestParityAcrossBatches: a run split into many ONNX Runtime calls (7 samples each,
// the last one short) gives every sample what models.Infer gives it.
func TestParityAcrossBatches(t *testing.T) {
	requireRuntime(t)
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			net, params, pre := f.build(t, 5)
			saved := batchValues
			batchValues = 7 * net.InputSize()
			defer func() { batchValues = saved }()
			model := mustExport(t, net, params, pre, nil)
			const n = 7*9 + 4
			if _, err := Verify(model, net, params, pre, rawInputs(net, pre, n, 3), n, Tolerance); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestParityWithoutPreprocess covers a model exported with no standardisation.
func TestParityWithoutPreprocess(t *testing.T) {
	requireRuntime(t)
	net, params, _ := fixtures()[1].build(t, 3)
	for _, pre := range []*models.Preprocess{nil, {}} {
		model := mustExport(t, net, params, pre, nil)
		x := rawInputs(net, nil, 9, 4)
		if _, err := Verify(model, net, params, pre, x, 9, Tolerance); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSessionRunShapes checks the session's sizes and that the sigmoid head gives one
// probability in (0, 1) per sample and the softmax head rows summing to 1.
func TestSessionRunShapes(t *testing.T) {
	requireRuntime(t)
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			net, params, pre := f.build(t, 11)
			sess, err := Load(mustExport(t, net, params, pre, nil))
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			if sess.InputSize() != net.InputSize() || sess.OutputSize() != net.Outputs() {
				t.Fatalf("sizes %d→%d, want %d→%d", sess.InputSize(), sess.OutputSize(), net.InputSize(), net.Outputs())
			}
			const n = 5
			y, err := sess.Run(rawInputs(net, pre, n, 1), n)
			if err != nil {
				t.Fatal(err)
			}
			for r := range n {
				var sum float64
				for _, p := range y[r*net.Outputs() : (r+1)*net.Outputs()] {
					if !(p > 0 && p < 1) {
						t.Fatalf("sample %d: probability %g outside (0, 1)", r, p)
					}
					sum += float64(p)
				}
				if net.Head == models.HeadSoftmax && (sum < 1-1e-5 || sum > 1+1e-5) {
					t.Fatalf("sample %d: softmax sums to %g", r, sum)
				}
			}
			if _, err := sess.Run(make([]float32, net.InputSize()+1), 1); err == nil {
				t.Fatal("run accepted an input of the wrong length")
			}
			if _, err := sess.Run(nil, 0); err == nil {
				t.Fatal("run accepted zero samples")
			}
		})
	}
}

// TestVerifyRejectsPerturbedParameter changes a bias after export: the file no longer
// computes what the parameters do, and Verify must refuse with ErrParity.
func TestVerifyRejectsPerturbedParameter(t *testing.T) {
	requireRuntime(t)
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			net, params, pre := f.build(t, 5)
			model := mustExport(t, net, params, pre, nil)
			last := params[len(params)-1] // the head's bias
			last.Data[0] += 0.5
			x := rawInputs(net, pre, 7, 9)
			diff, err := Verify(model, net, params, pre, x, 7, Tolerance)
			if !errors.Is(err, ErrParity) {
				t.Fatalf("verify after perturbing %s: err = %v, want ErrParity", last.Name, err)
			}
			for _, want := range []string{"max |diff|", "sample ", "output "} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if diff <= Tolerance {
				t.Errorf("reported diff %g not above tolerance", diff)
			}
		})
	}
}

// TestExportVerified checks the export-and-verify path end to end.
func TestExportVerified(t *testing.T) {
	requireRuntime(t)
	net, params, pre := fixtures()[1].build(t, 21)
	x := rawInputs(net, pre, 16, 3)
	model, diff, err := ExportVerified(net, params, pre, map[string]string{"model_name": "wdbc-mlp"}, x, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(model) == 0 || diff > Tolerance {
		t.Fatalf("model %d bytes, diff %g", len(model), diff)
	}
	if _, _, err := ExportVerified(net, params, pre, nil, x, 15); err == nil {
		t.Fatal("export verified accepted 16 samples of input declared as 15")
	}
}

// TestConcurrentLoadAndRun loads and runs from several goroutines at once: the
// environment is created once and a session serves concurrent callers.
func TestConcurrentLoadAndRun(t *testing.T) {
	requireRuntime(t)
	net, params, pre := fixtures()[0].build(t, 2)
	model := mustExport(t, net, params, pre, nil)
	x := rawInputs(net, pre, 8, 2)
	shared, err := Load(model)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	want, err := shared.Run(x, 8)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			s, err := Load(model)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for _, sess := range []*Session{s, shared} {
				got, err := sess.Run(x, 8)
				if err != nil {
					errs <- err
					return
				}
				for i := range want {
					if got[i] != want[i] {
						errs <- errors.New("concurrent run gave different output")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
