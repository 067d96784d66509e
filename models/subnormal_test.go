package models

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/synth"
)

// subnormals counts the subnormal float32 values among vs.
func subnormals(vs []float32) (n int) {
	for _, v := range vs {
		if b := math.Float32bits(v) & 0x7f800000; b == 0 && v != 0 {
			n++
		}
	}
	return n
}

// TestSubnormalsInRealTraining establishes (issue 24, item 4) whether subnormal floats
// occur in the native engine's training on real data: every value the graph computes
// (activations, gradients, the loss's intermediates) and the parameters, counted after
// each step of an epoch of the WDBC MLP and of the CNN on synthetic lesion images. It
// logs the counts and fails if any appears (then the kernels' cost on them must be
// measured and flush-to-zero considered) or a kernel produced a NaN or Inf.
func TestSubnormalsInRealTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an epoch of two models; skipped with -short")
	}
	wdbc, err := datasets.LoadTabularCSV("../datasets/testdata/wdbc.csv", datasets.TabularOptions{Label: "diagnosis"})
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, wdbc.Rows)
	for i := range all {
		all[i] = i
	}
	mean, std := datasets.FitStandardizer(wdbc.X, len(wdbc.Features), all)
	datasets.Standardize(wdbc.X, len(wdbc.Features), mean, std)
	lesions := synth.GenerateLesions(2048, 3)
	images := make([]float32, len(lesions.Pixels))
	for i, p := range lesions.Pixels {
		images[i] = float32(p) / 255
	}
	labels := make([]int32, lesions.N)
	for i, l := range lesions.Labels {
		labels[i] = int32(l)
	}
	y := make([]int32, wdbc.Rows)
	copy(y, wdbc.Y)
	var report strings.Builder
	for _, tc := range []struct {
		name string
		opts Options
		x    []float32
		y    []int32
	}{
		{"wdbc mlp 30-32-16-1", Options{Architecture: "mlp", InputShape: []int{30}, Hidden: []int{32, 16}, Classes: 2}, wdbc.X, y},
		{"lesions cnn 1x28x28", Options{Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{32}, Classes: 2}, images, labels},
	} {
		net, err := NewNetwork(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		params := InitParams(net, 1)
		const batch = 32
		gr, err := NewGraph(net, params, batch)
		if err != nil {
			t.Fatal(err)
		}
		opt, err := NewOptimizer(OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
		if err != nil {
			t.Fatal(err)
		}
		in, rows := net.InputSize(), len(tc.y)
		var values, sub, paramSub int
		for lo := 0; lo+batch <= rows; lo += batch {
			b := Batch{X: tc.x[lo*in : (lo+batch)*in], Labels: tc.y[lo : lo+batch], Weights: make([]float32, batch)}
			for i := range b.Weights {
				b.Weights[i] = 1.0 / batch
			}
			if _, err := gr.Step(b); err != nil {
				t.Fatal(err)
			}
			for _, v := range gr.exec.values {
				if d, ok := v.(*tensor.Dense); ok && d.Dtype() == tensor.Float32 {
					f := d.Float32s()
					for _, x := range f {
						if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
							t.Fatalf("%s: a non-finite value in the graph", tc.name)
						}
					}
					values += len(f)
					sub += subnormals(f)
				}
			}
			opt.Step(params, 1e-3)
			for _, p := range params {
				paramSub += subnormals(p.Data)
			}
		}
		gr.Close()
		fmt.Fprintf(&report, "%-22s %12d values computed, %8d subnormal (%.2g%%); %d subnormal parameter values over the epoch\n",
			tc.name, values, sub, 100*float64(sub)/float64(max(values, 1)), paramSub)
		if sub+paramSub > 0 {
			t.Errorf("%s: %d subnormal values computed, %d in the parameters", tc.name, sub, paramSub)
		}
	}
	t.Log("\n" + report.String())
}
