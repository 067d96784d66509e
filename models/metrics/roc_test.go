package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The full curve's trapezoidal area is the Mann–Whitney AUROC (ties counted half),
// and the curve runs from (0,0) to (1,1) without going back.
func TestROCAreaIsAUROC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 7, 50, 90} {
		score := make([]float32, n)
		y := make([]int32, n)
		for i := range score {
			y[i] = int32(i % 2)
			score[i] = float32(rng.IntN(10)) / 10 // many ties
			if y[i] == 1 {
				score[i] += 0.05
			}
		}
		d, _ := newBinaryData(score, y)
		curve := d.roc()
		want, err := AUROC(score, y)
		if err != nil {
			t.Fatal(err)
		}
		if got := trapezoidArea(curve); math.Abs(got-want) > 1e-12 {
			t.Errorf("n=%d: area %v, AUROC %v", n, got, want)
		}
		first, last := curve[0], curve[len(curve)-1]
		if first.FPR != 0 || first.TPR != 0 || last.FPR != 1 || last.TPR != 1 {
			t.Errorf("n=%d: curve runs %+v → %+v", n, first, last)
		}
		for i := 1; i < len(curve); i++ {
			if curve[i].FPR < curve[i-1].FPR || curve[i].TPR < curve[i-1].TPR {
				t.Fatalf("n=%d: curve goes back at %d", n, i)
			}
		}
	}
}

func TestROCThinnedKeepsEndsAndBound(t *testing.T) {
	n := 5000
	score := make([]float32, n)
	y := make([]int32, n)
	for i := range score {
		score[i], y[i] = float32(i)/float32(n), int32(i%3%2)
	}
	d, _ := newBinaryData(score, y)
	curve := d.roc()
	if len(curve) != maxROCPoints {
		t.Fatalf("%d points, want %d", len(curve), maxROCPoints)
	}
	if c := curve[len(curve)-1]; c.FPR != 1 || c.TPR != 1 {
		t.Fatalf("last point %+v", c)
	}
	want, _ := AUROC(score, y)
	if got := trapezoidArea(curve); math.Abs(got-want) > 0.01 {
		t.Errorf("thinned area %v, AUROC %v", got, want)
	}
	b, err := json.Marshal(curve[:2])
	if err != nil || !strings.HasPrefix(string(b), `[{"threshold":null,"fpr":0,"tpr":0}`) {
		t.Fatalf("JSON %s, %v", b, err)
	}
}

func TestROCOneClassIsNil(t *testing.T) {
	d, _ := newBinaryData([]float32{0.1, 0.9}, []int32{1, 1})
	if c := d.roc(); c != nil {
		t.Fatalf("one class gave a curve %v", c)
	}
}
