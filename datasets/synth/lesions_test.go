package synth

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/storage"
)

func TestGenerateLesionsDeterministic(t *testing.T) {
	a, b, c := GenerateLesions(40, 7), GenerateLesions(40, 7), GenerateLesions(40, 8)
	if len(a.Pixels) != 40*LesionSide*LesionSide || len(a.Labels) != 40 {
		t.Fatalf("%d pixels, %d labels", len(a.Pixels), len(a.Labels))
	}
	if !bytes.Equal(a.Pixels, b.Pixels) || !bytes.Equal(a.Labels, b.Labels) {
		t.Fatal("the same seed gives different images")
	}
	if bytes.Equal(a.Pixels, c.Pixels) {
		t.Fatal("different seeds give the same images")
	}
	for i := 1; i < a.N; i++ {
		if bytes.Equal(a.Image(0), a.Image(i)) {
			t.Fatalf("images 0 and %d are identical", i)
		}
	}
}

func TestLesionsBalanced(t *testing.T) {
	for _, n := range []int{1, 2, 7, 1000, 1001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			l := GenerateLesions(n, 3)
			malignant := 0
			for _, y := range l.Labels {
				if y > 1 {
					t.Fatalf("label %d", y)
				}
				malignant += int(y)
			}
			if benign := n - malignant; benign != n/2 {
				t.Fatalf("%d benign, %d malignant", benign, malignant)
			}
			if n >= 1000 && slices.Equal(l.Labels[:20], l.Labels[1:21]) {
				t.Fatal("labels are not shuffled")
			}
		})
	}
}

// bestThresholdAccuracy is the accuracy of the best rule "class 1 iff v > t"
// (or iff v < t) over all thresholds t.
func bestThresholdAccuracy(v []float64, y []uint8) float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	pos := 0
	for _, l := range y {
		pos += int(l)
	}
	best, below0, below1 := 0.0, 0, 0
	for _, i := range idx {
		if y[i] == 0 {
			below0++
		} else {
			below1++
		}
		above := float64(below0+pos-below1) / float64(len(y)) // class 1 above the threshold
		best = max(best, above, 1-above)
	}
	return best
}

// TestLesionsNotTrivial checks that no global statistic of an image gives its
// class away: brightness, contrast and the darkest pixel each predict it little
// better than chance, so a model has to look at the lesion's shape and texture.
func TestLesionsNotTrivial(t *testing.T) {
	l := GenerateLesions(4000, 1)
	stats := map[string][]float64{}
	for i := range l.N {
		var sum, sq float64
		darkest := 255.0
		for _, p := range l.Image(i) {
			sum += float64(p)
			sq += float64(p) * float64(p)
			darkest = min(darkest, float64(p))
		}
		mean := sum / float64(LesionSide*LesionSide)
		stats["mean"] = append(stats["mean"], mean)
		stats["std"] = append(stats["std"], math.Sqrt(sq/float64(LesionSide*LesionSide)-mean*mean))
		stats["darkest"] = append(stats["darkest"], darkest)
	}
	for name, v := range stats {
		acc := bestThresholdAccuracy(v, l.Labels)
		t.Logf("best threshold on %s: accuracy %.3f", name, acc)
		if acc > 0.65 {
			t.Errorf("%s alone predicts the class with accuracy %.3f", name, acc)
		}
	}
}

// TestLesionCues checks that the signal is there: every malignancy cue is
// larger, on average, in malignant lesions, and no one cue separates the
// classes perfectly.
func TestLesionCues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cues := map[string]func(p *lesion) float64{
		"irregularity": func(p *lesion) float64 {
			var s float64
			for _, a := range p.amp {
				s += a
			}
			return s
		},
		"globules":  func(p *lesion) float64 { return float64(len(p.globules)) },
		"asymmetry": func(p *lesion) float64 { return math.Hypot(p.blotchX-p.cx, p.blotchY-p.cy) / p.radius },
	}
	values := map[string][]float64{}
	var labels []uint8
	for i := range 4000 {
		p := newLesion(rng, i%2 == 1)
		labels = append(labels, uint8(i%2))
		for name, f := range cues {
			values[name] = append(values[name], f(p))
		}
	}
	for name, v := range values {
		var mean [2]float64
		for i, x := range v {
			mean[labels[i]] += x / 2000
		}
		acc := bestThresholdAccuracy(v, labels)
		t.Logf("%s: mean benign %.3f, malignant %.3f; best threshold accuracy %.3f", name, mean[0], mean[1], acc)
		if mean[1] <= mean[0] || acc < 0.75 || acc > 0.99 {
			t.Errorf("%s: means %v, threshold accuracy %.3f: want malignant higher, accuracy in [0.75, 0.99]", name, mean, acc)
		}
	}
}

func TestWriteLesionsIngests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lesions")
	spec, err := WriteLesions(dir, 400, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := GenerateLesions(400, 5)
	im, err := readers.LoadIDXImages(filepath.Join(dir, "train-images-idx3-ubyte"), filepath.Join(dir, "train-labels-idx1-ubyte"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 400 || fmt.Sprint(im.Shape()) != "[1 28 28]" {
		t.Fatalf("read %d images of shape %v", im.N, im.Shape())
	}
	for i, y := range im.Y {
		if y != int32(want.Labels[i]) {
			t.Fatalf("label %d: read %d, wrote %d", i, y, want.Labels[i])
		}
	}
	for i, v := range im.X {
		if got := uint8(math.Round(float64(v) * 255)); got != want.Pixels[i] {
			t.Fatalf("pixel %d: read %d, wrote %d", i, got, want.Pixels[i])
		}
	}

	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Ingest(t.Context(), ingest.Config{SpecPath: spec, Store: store, Registrar: ingest.NewLocalRegistry(store), Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Report.Passed || res.Report.Rows != 400 {
		t.Fatalf("gate: passed %v on %d rows", res.Report.Passed, res.Report.Rows)
	}
	m := res.Manifest
	if m.Name != "lesions" || m.Schema.Kind != shards.KindImage || fmt.Sprint(m.Schema.FeatureShape) != "[1 28 28]" ||
		!slices.Equal(m.Schema.Classes, LesionClasses) || m.Source.Format != "idx" {
		t.Fatalf("manifest %s: schema %+v, source %+v", m.Name, m.Schema, m.Source)
	}
	for _, name := range shards.PartNames {
		p, _ := m.Split.Part(name)
		if len(p.LabelCounts) != 2 || p.LabelCounts[0] != p.LabelCounts[1] {
			t.Errorf("%s: label counts %v, want balanced", name, p.LabelCounts)
		}
	}
	if m.Split.Train.Records+m.Split.Validation.Records+m.Split.Test.Records != 400 {
		t.Fatalf("split %d/%d/%d", m.Split.Train.Records, m.Split.Validation.Records, m.Split.Test.Records)
	}
	if err := shards.Verify(t.Context(), store, m); err != nil {
		t.Fatal(err)
	}
}

func TestWriteLesionsTooFew(t *testing.T) {
	if _, err := WriteLesions(t.TempDir(), 1, 1); err == nil {
		t.Fatal("one image accepted")
	}
}
