package onnx

import (
	"slices"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models"
)

// BenchmarkInference measures, for every architecture, ONNX Runtime (one intra-op
// thread) against the plain-Go forward pass in the same run: latency of one sample
// (p50, p99) and throughput at batch 256. Both sides include the standardisation.
//
//	go test -run '^$' -bench Inference -benchtime 2s ./models/onnx/
func BenchmarkInference(b *testing.B) {
	requireRuntime(b)
	for _, f := range fixtures() {
		net, params, pre := f.build(b, 1)
		sess, err := Load(mustExport(b, net, params, pre, nil))
		if err != nil {
			b.Fatal(err)
		}
		goInfer := func(x []float32, n int) error {
			x = slices.Clone(x)
			pre.Apply(x)
			_, err := models.Infer(net, params, x, n)
			return err
		}
		onnxInfer := func(x []float32, n int) error {
			_, err := sess.Run(x, n)
			return err
		}
		one, batch := rawInputs(net, pre, 1, 1), rawInputs(net, pre, 256, 2)
		for _, side := range []struct {
			name string
			run  func([]float32, int) error
		}{{"onnx", onnxInfer}, {"go", goInfer}} {
			b.Run(f.name+"/"+side.name+"/latency", func(b *testing.B) {
				benchLatency(b, func() error { return side.run(one, 1) })
			})
			b.Run(f.name+"/"+side.name+"/batch256", func(b *testing.B) {
				for b.Loop() {
					if err := side.run(batch, 256); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
		sess.Close()
	}
}

// benchLatency times each call and reports the median and 99th percentile.
func benchLatency(b *testing.B, run func() error) {
	var d []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := run(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
