package dicom

import (
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

// BenchmarkReadDir measures ReadDir with de-identification on a generated
// corpus of 12 patients × 2 studies × 4 images of 256×256 (all formats).
func BenchmarkReadDir(b *testing.B) {
	dir, truth := corpus(b, dicomtest.Config{ImagesPerSeries: 4, Size: 256, Seed: 11})
	var bytes int64
	files := 0
	for b.Loop() {
		st, err := ReadDir(dir, Options{Key: testKey}, func(*Instance) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		bytes, files = st.Bytes, st.Files
	}
	if files != len(truth.Files) {
		b.Fatalf("%d files read, want %d", files, len(truth.Files))
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
