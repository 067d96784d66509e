package external

import (
	"os"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/models/onnx"
)

// BenchmarkThroughput compares, in one run, `models evaluate`'s path (read and check
// the CSV against the card, ONNX Runtime, every metric, shift and subgroups) with
// `dxtrain predict`'s (datasets.ReadFeaturesCSV, ONNX Runtime) on the same 20,000 rows
// and the same release. rows/s is reported for both:
//
//	go test ./models/external -run XXX -bench Throughput -benchtime 20x
func BenchmarkThroughput(b *testing.B) {
	f := newFixture(b, true)
	x, y := population(20000, 0.3, 0.5, 9)
	csv, _ := csvOf(x, y, "marker,noise,diagnosis,site", twoSites)
	b.Run("predict", func(b *testing.B) {
		for b.Loop() {
			xs, n, err := datasets.ReadFeaturesCSV(strings.NewReader(csv), "local.csv", features)
			if err != nil {
				b.Fatal(err)
			}
			sess, err := onnx.Load(f.v.Files.ONNX)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sess.Run(xs, n); err != nil {
				b.Fatal(err)
			}
			sess.Close()
		}
		b.ReportMetric(float64(len(y)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			d, err := ReadTabular(strings.NewReader(csv), "local.csv", &f.v.Card, TabularInput{Label: "diagnosis", Subgroups: []string{"site"}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Evaluate(f.v, d, Options{Threshold: 0.4}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(y)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkImageThroughput is BenchmarkThroughput for images: on the same 20,000
// lesions (an IDX pair as synth.WriteLesions writes it) and the image fixture's CNN,
// `dxtrain predict`'s path (readers.ReadIDX, IDXArray.Pixels, ONNX Runtime) against
// `models evaluate`'s (ReadImages with its label checks, then Evaluate: ONNX Runtime,
// every metric and the intensity shift over every pixel). images/s for both. Inference
// sets the pace (onnx.Session.Run feeds ONNX Runtime about 1,300 images a call):
//
//	go test ./models/external -run XXX -bench Throughput -benchtime 5x
func BenchmarkImageThroughput(b *testing.B) {
	const n = 20000
	f := newImageFixture(b)
	images, labels := writeLesions(b, n, 21)
	b.Run("predict", func(b *testing.B) {
		for b.Loop() {
			file, err := os.Open(images)
			if err != nil {
				b.Fatal(err)
			}
			a, err := readers.ReadIDX(file, 0)
			file.Close()
			if err != nil {
				b.Fatal(err)
			}
			x, err := a.Pixels()
			if err != nil {
				b.Fatal(err)
			}
			sess, err := onnx.Load(f.v.Files.ONNX)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sess.Run(x, a.Dims[0]); err != nil {
				b.Fatal(err)
			}
			sess.Close()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			d, err := ReadImages(images, labels, "", &f.v.Card)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Evaluate(f.v, d, Options{Threshold: 0.4}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
	})
}
