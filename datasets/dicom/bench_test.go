package dicom

import (
	"encoding/binary"
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

// BenchmarkPixels16 measures decoding and normalising one native 16-bit
// 256×256 frame from file bytes, the per-file pixel work of a read.
func BenchmarkPixels16(b *testing.B) {
	const side = 256
	data := make([]byte, 2*side*side)
	for i := range data {
		data[i] = byte(i * 7)
	}
	a := imageAttrs{rows: side, cols: side, samples: 1, bitsAlloc: 16, bitsStored: 12, signed: true, slope: 1, intercept: -1024, photometric: "MONOCHROME2"}
	span := nativeSpan{found: true, length: len(data)}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		v, err := nativePixels(data, span, binary.LittleEndian, a)
		if err != nil {
			b.Fatal(err)
		}
		normalise(v, nil, false)
		putValues(v)
	}
}
