package ingest

import (
	"math"
	"testing"
)

func TestResizeAreaMeans(t *testing.T) {
	// 4×4 → 2×2: each output is the mean of a 2×2 block.
	src := []float32{
		0, 1, 2, 3,
		4, 5, 6, 7,
		8, 9, 10, 11,
		12, 13, 14, 15,
	}
	dst := make([]float32, 4)
	resizeArea(dst, src, 4, 4, 2, 2)
	want := []float32{2.5, 4.5, 10.5, 12.5}
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-5 {
			t.Fatalf("got %v, want %v", dst, want)
		}
	}
}

func TestResizeAreaKeepsMeanAtOddFactors(t *testing.T) {
	const h, w, oh, ow = 37, 53, 8, 11
	src := make([]float32, h*w)
	var sum float64
	for i := range src {
		src[i] = float32((i*7919)%1000) / 1000
		sum += float64(src[i])
	}
	dst := make([]float32, oh*ow)
	resizeArea(dst, src, h, w, oh, ow)
	var got float64
	for _, v := range dst {
		if v < 0 || v > 1 {
			t.Fatalf("value %v outside the source range", v)
		}
		got += float64(v)
	}
	if d := math.Abs(got/(oh*ow) - sum/(h*w)); d > 1e-4 {
		t.Errorf("area resize changed the mean by %g", d)
	}
}

func TestResizeAreaUpsizeAndIdentity(t *testing.T) {
	src := []float32{0.25, 0.75}
	dst := make([]float32, 4)
	resizeArea(dst, src, 1, 2, 1, 4)
	if dst[0] != 0.25 || dst[1] != 0.25 || dst[2] != 0.75 || dst[3] != 0.75 {
		t.Errorf("upsize %v", dst)
	}
	same := make([]float32, 2)
	resizeArea(same, src, 1, 2, 1, 2)
	if same[0] != 0.25 || same[1] != 0.75 {
		t.Errorf("identity %v", same)
	}
}
