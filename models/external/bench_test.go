package external

import (
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets"
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
