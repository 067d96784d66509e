package dicom

import "sync"

// Buffers of one file's read are pooled: a 256×256 image is its file's
// 128 KiB, 256 KiB of samples and 512 KiB of values, every file, and the
// collector's work on them showed in the profile. Buffers above poolMax
// elements (file buffers: 8×poolMax bytes) are left to the collector, so
// that one huge image is not held for the rest of a read.
const poolMax = 1 << 22

var samplePool, valuePool, filePool sync.Pool

// getFileBuf returns n bytes for a file's contents.
func getFileBuf(n int) []byte {
	if p, ok := filePool.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]byte, n)
}

func putFileBuf(b []byte) {
	if b != nil && cap(b) <= 8*poolMax {
		filePool.Put(&b)
	}
}

func getSamples(n int) []uint32 {
	if p, ok := samplePool.Get().(*[]uint32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint32, n)
}

func putSamples(s []uint32) {
	if cap(s) <= poolMax {
		samplePool.Put(&s)
	}
}

// getValues returns n values; callers write every one.
func getValues(n int) []float64 {
	if p, ok := valuePool.Get().(*[]float64); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float64, n)
}

func putValues(v []float64) {
	if v != nil && cap(v) <= poolMax {
		valuePool.Put(&v)
	}
}
