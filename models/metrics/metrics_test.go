package metrics

import (
	"errors"
	"math"
	"testing"
)

func TestAUROCKnownValues(t *testing.T) {
	cases := []struct {
		name  string
		score []float32
		y     []int32
		want  float64
	}{
		{"perfectly separated", []float32{0.1, 0.2, 0.8, 0.9}, []int32{0, 0, 1, 1}, 1},
		{"inverted", []float32{0.9, 0.8, 0.2, 0.1}, []int32{0, 0, 1, 1}, 0},
		{"all tied", []float32{0.5, 0.5, 0.5, 0.5}, []int32{0, 1, 0, 1}, 0.5},
		// positives 0.35, 0.8; negatives 0.1, 0.4: pairs won 0.35>0.1, 0.8>0.1, 0.8>0.4 → 3/4
		{"hand computed", []float32{0.1, 0.35, 0.4, 0.8}, []int32{0, 1, 0, 1}, 0.75},
		// a tie between a positive and a negative counts one half: (1 + 0.5) / 2
		{"tie counts half", []float32{0.2, 0.6, 0.6}, []int32{0, 0, 1}, 0.75},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AUROC(tc.score, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("AUROC = %g, want %g", got, tc.want)
			}
		})
	}
	if _, err := AUROC([]float32{0.1, 0.2}, []int32{1, 1}); err == nil {
		t.Fatal("AUROC of one class succeeded")
	}
}

func TestEvaluateBinary(t *testing.T) {
	b, err := EvaluateBinary([]float32{0.9, 0.2, 0.6, 0.4}, []int32{1, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	wantLoss := -(math.Log(0.9) + math.Log(0.8) + math.Log(0.4) + math.Log(0.4)) / 4
	if b.Accuracy != 0.5 || math.Abs(b.LogLoss-wantLoss) > 1e-6 || b.AUROC != 0.75 {
		t.Fatalf("got %+v, want accuracy 0.5, log loss %g, AUROC 0.75", b, wantLoss)
	}
}

func TestEvaluateMulticlass(t *testing.T) {
	p := []float32{
		0.7, 0.2, 0.1,
		0.1, 0.8, 0.1,
		0.3, 0.3, 0.4,
		0.5, 0.4, 0.1,
	}
	m, err := EvaluateMulticlass(p, []int32{0, 1, 2, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m.Accuracy != 0.75 {
		t.Fatalf("accuracy %g, want 0.75", m.Accuracy)
	}
	if m.MacroAUROC <= 0.5 || m.MacroAUROC > 1 {
		t.Fatalf("macro AUROC %g out of range", m.MacroAUROC)
	}
}

func TestEvaluateMulticlassRejectsBadInput(t *testing.T) {
	cases := []struct {
		name    string
		p       []float32
		y       []int32
		classes int
		want    error
	}{
		{"label out of range", []float32{0.5, 0.5, 0.5, 0.5}, []int32{0, 2}, 2, ErrLabel},
		{"negative label", []float32{0.5, 0.5, 0.5, 0.5}, []int32{-1, 0}, 2, ErrLabel},
		{"shape", []float32{0.5, 0.5, 0.5}, []int32{0, 1}, 2, ErrShape},
		{"no samples", nil, nil, 2, ErrNoSamples},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := EvaluateMulticlass(tc.p, tc.y, tc.classes); !errors.Is(err, tc.want) {
				t.Fatalf("EvaluateMulticlass: %v, want %v", err, tc.want)
			}
		})
	}
}
