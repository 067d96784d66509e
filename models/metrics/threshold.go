package metrics

import (
	"fmt"
	"sort"
)

// Confusion counts the outcomes of one binary decision rule.
type Confusion struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// OperatingPoint is the decision "positive when P(positive) ≥ Threshold" and how it
// performs. Rates whose denominator is empty (PPV with no predicted positives) are NaN.
type OperatingPoint struct {
	Threshold   Stat      `json:"threshold"`
	YoudenJ     Stat      `json:"youden_j"` // sensitivity + specificity − 1
	Sensitivity Stat      `json:"sensitivity"`
	Specificity Stat      `json:"specificity"`
	PPV         Stat      `json:"ppv"`
	NPV         Stat      `json:"npv"`
	F1          Stat      `json:"f1"`
	Accuracy    Stat      `json:"accuracy"`
	Confusion   Confusion `json:"confusion"`
}

// binaryData is one positive-versus-rest view of the records: the score of the
// positive class and whether each record is positive.
type binaryData struct {
	score []float64
	pos   []bool
}

func newBinaryData(score []float32, y []int32) (binaryData, error) {
	if len(score) != len(y) {
		return binaryData{}, fmt.Errorf("%d scores for %d labels: %w", len(score), len(y), ErrShape)
	}
	d := binaryData{score: make([]float64, len(score)), pos: make([]bool, len(y))}
	for i := range score {
		d.score[i], d.pos[i] = float64(score[i]), y[i] == 1
	}
	return d, nil
}

// split returns the scores of the positive and of the negative records.
func (d binaryData) split() (x, w []float64) {
	for i, s := range d.score {
		if d.pos[i] {
			x = append(x, s)
		} else {
			w = append(w, s)
		}
	}
	return x, w
}

// OperatingPointAt evaluates the rule "positive when score ≥ threshold"; labels equal
// to 1 are positive.
func OperatingPointAt(score []float32, y []int32, threshold float64) (OperatingPoint, error) {
	d, err := newBinaryData(score, y)
	if err != nil {
		return OperatingPoint{}, fmt.Errorf("operating point: %w", err)
	}
	return d.at(threshold), nil
}

func (d binaryData) at(threshold float64) OperatingPoint {
	var c Confusion
	for i, s := range d.score {
		switch predicted := s >= threshold; {
		case predicted && d.pos[i]:
			c.TP++
		case predicted:
			c.FP++
		case d.pos[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return operatingPoint(threshold, c)
}

func operatingPoint(threshold float64, c Confusion) OperatingPoint {
	op := OperatingPoint{
		Threshold:   Stat(threshold),
		Sensitivity: ratio(c.TP, c.TP+c.FN),
		Specificity: ratio(c.TN, c.TN+c.FP),
		PPV:         ratio(c.TP, c.TP+c.FP),
		NPV:         ratio(c.TN, c.TN+c.FN),
		F1:          ratio(2*c.TP, 2*c.TP+c.FP+c.FN),
		Accuracy:    ratio(c.TP+c.TN, c.TP+c.FP+c.TN+c.FN),
		Confusion:   c,
	}
	op.YoudenJ = NaN()
	if op.Sensitivity.Defined() && op.Specificity.Defined() {
		op.YoudenJ = op.Sensitivity + op.Specificity - 1
	}
	return op
}

// YoudenThreshold is the threshold, among the observed scores, that maximises
// sensitivity + specificity − 1; among equal maxima the highest (most specific) wins.
// It is chosen on the data it is then reported on, so its rates are optimistic.
func YoudenThreshold(score []float32, y []int32) (float64, error) {
	d, err := newBinaryData(score, y)
	if err != nil {
		return 0, fmt.Errorf("youden threshold: %w", err)
	}
	t, ok := d.youden()
	if !ok {
		return 0, fmt.Errorf("youden threshold: %w", ErrOneClass)
	}
	return t, nil
}

// classes counts the positive and the negative records.
func (d binaryData) classes() (p, n int) {
	for _, pos := range d.pos {
		if pos {
			p++
		} else {
			n++
		}
	}
	return p, n
}

// sweep visits the distinct scores from the highest down; after each group of ties
// tp and fp are the counts of "positive when score ≥ t": O(n log n). The ROC curve
// and Youden's threshold are both read off it.
func (d binaryData) sweep(visit func(t float64, tp, fp int)) {
	idx := make([]int, len(d.score))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return d.score[idx[a]] > d.score[idx[b]] })
	var tp, fp int
	for start := 0; start < len(idx); {
		t := d.score[idx[start]]
		end := start + 1 // always advances, even on a NaN that equals nothing
		for end < len(idx) && d.score[idx[end]] == t {
			end++
		}
		for _, i := range idx[start:end] {
			if d.pos[i] {
				tp++
			} else {
				fp++
			}
		}
		visit(t, tp, fp)
		start = end
	}
}

// youden is the threshold with the largest Youden's J over the sweep.
func (d binaryData) youden() (float64, bool) {
	p, n := d.classes()
	if p == 0 || n == 0 {
		return 0, false
	}
	// J = (tp·n − fp·p)/(p·n); comparing the integer numerators keeps exact ties exact.
	best, bestJ := 0.0, int64(-1)<<62
	d.sweep(func(t float64, tp, fp int) {
		if j := int64(tp)*int64(n) - int64(fp)*int64(p); j > bestJ {
			best, bestJ = t, j
		}
	})
	return best, true
}
