package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// DefaultThreshold is the decision threshold used when the options name none.
const DefaultThreshold = 0.5

// ReportOptions say how to read the probabilities and what to break the report down by.
type ReportOptions struct {
	// ClassNames names the classes in label order. Empty means two classes
	// ("negative", "positive") when there is one probability per record, else "0", "1", ….
	ClassNames []string
	// Threshold is the chosen decision threshold in (0, 1]: a record is called positive
	// for a class when its probability is at least this. Zero means DefaultThreshold.
	Threshold float64
	// Subgroups maps an attribute name (say "sex") to one value per record.
	Subgroups map[string][]string
}

// ClinicalReport is what a validator reads about one model on one split. Field names
// are stable: the JSON is stored beside the checkpoint.
type ClinicalReport struct {
	Kind            string              `json:"kind"` // "binary" or "multiclass"
	N               int                 `json:"n"`
	Classes         []string            `json:"classes"`
	Threshold       float64             `json:"threshold"`
	CIMethod        string              `json:"ci_method"`
	CILevel         float64             `json:"ci_level"`
	CalibrationBins int                 `json:"calibration_bins"`
	MinGroupSize    int                 `json:"min_group_size"`
	Overall         Metrics             `json:"overall"`
	Subgroups       []SubgroupAttribute `json:"subgroups"`
}

// Metrics holds either the binary or the multi-class results for one set of records.
type Metrics struct {
	Binary     *BinaryMetrics     `json:"binary,omitempty"`
	Multiclass *MulticlassMetrics `json:"multiclass,omitempty"`
}

// BinaryMetrics is the evaluation of one class against the rest.
type BinaryMetrics struct {
	Class       string         `json:"class"` // the class treated as positive
	N           int            `json:"n"`
	Positives   int            `json:"positives"`
	Prevalence  Stat           `json:"prevalence"`
	AUROC       AUROCEstimate  `json:"auroc"`
	AtThreshold OperatingPoint `json:"at_threshold"`
	AtYouden    OperatingPoint `json:"at_youden"`
	Brier       Stat           `json:"brier"`
	Calibration Calibration    `json:"calibration"`
	// ROC is the curve the AUROC is the area under, thinned for drawing.
	ROC []ROCPoint `json:"roc,omitempty"`
}

// MulticlassMetrics is the evaluation of a softmax classifier: the argmax decision,
// each class one-vs-rest, and their unweighted means.
type MulticlassMetrics struct {
	N        int  `json:"n"`
	Accuracy Stat `json:"accuracy"` // of the argmax prediction
	// Brier is the multi-class Brier score: the mean over records of Σ_c (p_c − 1[y = c])².
	Brier Stat `json:"brier"`
	// Confusion counts records by true class (row) and argmax-predicted class (column).
	Confusion [][]int         `json:"confusion_matrix"`
	PerClass  []BinaryMetrics `json:"per_class"`
	Macro     MacroAverages   `json:"macro"`
}

// MacroAverages are unweighted means over classes of the one-vs-rest metrics at the
// chosen threshold. A class whose value is undefined (AUROC of an absent class) is
// left out of that mean.
type MacroAverages struct {
	AUROC       Stat `json:"auroc"`
	Sensitivity Stat `json:"sensitivity"`
	Specificity Stat `json:"specificity"`
	PPV         Stat `json:"ppv"`
	NPV         Stat `json:"npv"`
	F1          Stat `json:"f1"`
	Accuracy    Stat `json:"accuracy"`
	Brier       Stat `json:"brier"`
	ECE         Stat `json:"ece"`
}

// layout is how the probabilities are laid out and what they mean.
type layout struct {
	classes   int // number of classes, ≥ 2
	cols      int // probabilities per record: 1 (binary P(positive)) or classes
	names     []string
	threshold float64
}

// Report evaluates probabilities against labels. For two classes p holds P(positive)
// per record (or two softmax columns); for more, n×classes softmax rows, row-major.
// Labels are class indices.
func Report(p []float32, y []int32, opts ReportOptions) (*ClinicalReport, error) {
	l, err := newLayout(len(p), len(y), opts)
	if err != nil {
		return nil, fmt.Errorf("clinical report: %w", err)
	}
	if err := checkProbabilities(p, l.cols); err != nil {
		return nil, fmt.Errorf("clinical report: %w", err)
	}
	if err := checkLabels(y, l.classes); err != nil {
		return nil, fmt.Errorf("clinical report: %w", err)
	}
	groups, err := subgroupAttributes(p, y, l, opts.Subgroups)
	if err != nil {
		return nil, fmt.Errorf("clinical report: %w", err)
	}
	r := &ClinicalReport{
		Kind: "binary", N: len(y), Classes: l.names, Threshold: l.threshold,
		CIMethod: CIMethod, CILevel: CILevel, CalibrationBins: CalibrationBins,
		MinGroupSize: MinGroupSize, Overall: l.evaluate(p, y), Subgroups: groups,
	}
	if l.classes > 2 {
		r.Kind = "multiclass"
	}
	return r, nil
}

func newLayout(np, n int, opts ReportOptions) (layout, error) {
	if n == 0 {
		return layout{}, ErrNoSamples
	}
	l := layout{threshold: opts.Threshold, names: opts.ClassNames, classes: len(opts.ClassNames)}
	if l.threshold == 0 {
		l.threshold = DefaultThreshold
	}
	if math.IsNaN(l.threshold) || l.threshold <= 0 || l.threshold > 1 {
		return layout{}, fmt.Errorf("threshold %g, want (0, 1]: %w", opts.Threshold, ErrOptions)
	}
	if np%n != 0 {
		return layout{}, fmt.Errorf("%d probabilities for %d labels: %w", np, n, ErrShape)
	}
	l.cols = np / n
	if l.classes == 0 {
		l.classes = max(l.cols, 2)
	}
	switch {
	case l.classes < 2:
		return layout{}, fmt.Errorf("%d class names, want at least 2: %w", l.classes, ErrOptions)
	case l.cols != l.classes && !(l.classes == 2 && l.cols == 1):
		return layout{}, fmt.Errorf("%d probabilities per record for %d classes: %w", l.cols, l.classes, ErrShape)
	}
	if l.names == nil {
		l.names = defaultClassNames(l.classes)
	}
	seen := make(map[string]bool, len(l.names))
	for i, name := range l.names {
		if name == "" || seen[name] {
			return layout{}, fmt.Errorf("class name %d is empty or repeated: %w", i, ErrOptions)
		}
		seen[name] = true
	}
	return l, nil
}

func defaultClassNames(k int) []string {
	if k == 2 {
		return []string{"negative", "positive"}
	}
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// evaluate computes the metrics of already validated records.
func (l layout) evaluate(p []float32, y []int32) Metrics {
	if l.classes == 2 {
		b := l.oneVsRest(p, y, 1)
		return Metrics{Binary: &b}
	}
	n := len(y)
	m := &MulticlassMetrics{N: n, Confusion: make([][]int, l.classes)}
	for c := range m.Confusion {
		m.Confusion[c] = make([]int, l.classes)
	}
	var correct int
	var brier float64
	for i, label := range y {
		row := p[i*l.cols : (i+1)*l.cols]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
			o := 0.0
			if c == int(label) {
				o = 1
			}
			brier += (float64(v) - o) * (float64(v) - o)
		}
		m.Confusion[label][best]++
		if best == int(label) {
			correct++
		}
	}
	m.Accuracy, m.Brier = ratio(correct, n), Stat(brier/float64(n))
	for c := 0; c < l.classes; c++ {
		m.PerClass = append(m.PerClass, l.oneVsRest(p, y, c))
	}
	m.Macro = macro(m.PerClass)
	return Metrics{Multiclass: m}
}

// oneVsRest evaluates class c against the others.
func (l layout) oneVsRest(p []float32, y []int32, c int) BinaryMetrics {
	d := binaryData{score: make([]float64, len(y)), pos: make([]bool, len(y))}
	var positives int
	for i, label := range y {
		col := c
		if l.cols == 1 {
			col = 0 // the single column is P(class 1)
		}
		d.score[i], d.pos[i] = float64(p[i*l.cols+col]), int(label) == c
		if d.pos[i] {
			positives++
		}
	}
	b := BinaryMetrics{
		Class: l.names[c], N: len(y), Positives: positives, Prevalence: ratio(positives, len(y)),
		AUROC: estimateAUROC(d.split()), AtThreshold: d.at(l.threshold),
		Brier: d.brier(), Calibration: d.calibration(), ROC: d.roc(),
	}
	if t, ok := d.youden(); ok {
		b.AtYouden = d.at(t)
	} else {
		b.AtYouden = operatingPoint(math.NaN(), Confusion{})
	}
	return b
}

func macro(per []BinaryMetrics) MacroAverages {
	pick := func(f func(BinaryMetrics) Stat) Stat {
		vs := make([]Stat, len(per))
		for i, b := range per {
			vs[i] = f(b)
		}
		m, _ := meanDefined(vs)
		return m
	}
	return MacroAverages{
		AUROC:       pick(func(b BinaryMetrics) Stat { return b.AUROC.Estimate }),
		Sensitivity: pick(func(b BinaryMetrics) Stat { return b.AtThreshold.Sensitivity }),
		Specificity: pick(func(b BinaryMetrics) Stat { return b.AtThreshold.Specificity }),
		PPV:         pick(func(b BinaryMetrics) Stat { return b.AtThreshold.PPV }),
		NPV:         pick(func(b BinaryMetrics) Stat { return b.AtThreshold.NPV }),
		F1:          pick(func(b BinaryMetrics) Stat { return b.AtThreshold.F1 }),
		Accuracy:    pick(func(b BinaryMetrics) Stat { return b.AtThreshold.Accuracy }),
		Brier:       pick(func(b BinaryMetrics) Stat { return b.Brier }),
		ECE:         pick(func(b BinaryMetrics) Stat { return b.Calibration.ECE }),
	}
}

// JSON is the report as stored beside the checkpoint: indented, and without the HTML
// escaping of encoding/json.Marshal, so a suppressed size reads "<10", not "\u003c10".
// Both forms decode to the same report.
func (r *ClinicalReport) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode clinical report: %w", err)
	}
	return buf.Bytes(), nil
}
