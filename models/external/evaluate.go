package external

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
)

// DefaultFloor is the small-number floor when the trust names none: counts under it are
// suppressed, rates and AUROCs need groups at least this large.
const DefaultFloor = metrics.MinGroupSize

// Options are the trust's choices.
type Options struct {
	// Floor is the trust's small-number floor (0: DefaultFloor). The card can raise
	// it (its own evaluation's min_group_size), never lower it.
	Floor int
	// Threshold is the trust's own operating threshold in (0, 1], reported beside the
	// card's; 0 for none.
	Threshold float64
}

// Evaluation is the external validation of one release on the trust's data: only
// aggregates, safe to sign and share. Field names are stable: it is the evaluation of a
// signed site report.
type Evaluation struct {
	Floor         int          `json:"suppress_below"`
	Input         string       `json:"input"` // "tabular" or "images"
	PositiveClass string       `json:"positive_class"`
	N             Count        `json:"n"`
	Positives     Count        `json:"positives"`
	Prevalence    metrics.Stat `json:"prevalence"`
	AUROC         AUROC        `json:"auroc"`
	AtCard        Operating    `json:"at_card_threshold"`
	AtLocal       *Operating   `json:"at_local_threshold,omitempty"`
	Calibration   Calibration  `json:"calibration"`
	Subgroups     []Attribute  `json:"subgroups"`
	Comparison    []Compared   `json:"comparison"`
	Shift         Shift        `json:"shift"`
	Notes         []string     `json:"notes"`
	// Inference is how long ONNX Runtime took over all rows (not reported, not signed).
	Inference time.Duration `json:"-"`
}

// AUROC is the area with its DeLong interval; undefined (null) with a reason when a
// class is absent or smaller than the floor.
type AUROC struct {
	metrics.Interval
	Method string `json:"ci_method"`
	Reason string `json:"reason,omitempty"`
}

// Operating is a decision threshold's performance with Wilson intervals; a rate whose
// denominator is under the floor is undefined.
type Operating struct {
	Threshold   float64          `json:"threshold"`
	Sensitivity metrics.Interval `json:"sensitivity"`
	Specificity metrics.Interval `json:"specificity"`
	PPV         metrics.Interval `json:"ppv"`
	NPV         metrics.Interval `json:"npv"`
	TP          Count            `json:"tp"`
	FP          Count            `json:"fp"`
	TN          Count            `json:"tn"`
	FN          Count            `json:"fn"`
}

// Calibration is how far the predicted risks are from the local outcomes.
type Calibration struct {
	Slope     metrics.Stat `json:"slope"`
	Intercept metrics.Stat `json:"intercept"`
	ECE       metrics.Stat `json:"ece"`
	Brier     metrics.Stat `json:"brier"`
	Bins      []Bin        `json:"bins"`
}

// Bin is one reliability bin; a bin under the floor shows neither mean.
type Bin struct {
	Lower         float64      `json:"lower"`
	Upper         float64      `json:"upper"`
	N             Count        `json:"n"`
	MeanPredicted metrics.Stat `json:"mean_predicted"`
	Observed      metrics.Stat `json:"observed"`
}

// Attribute is the evaluation broken down by one subgroup column.
type Attribute struct {
	Attribute string  `json:"attribute"`
	Groups    []Group `json:"groups"`
}

// Group is one value of a subgroup attribute. Values with fewer records than the floor
// are suppressed together in one last entry that says how many there were, without
// their values or sizes.
type Group struct {
	Value      string       `json:"value"`
	Suppressed bool         `json:"suppressed"`
	N          Count        `json:"n"`
	Positives  Count        `json:"positives"`
	AUROC      *AUROC       `json:"auroc,omitempty"`
	AtCard     *Operating   `json:"at_card_threshold,omitempty"`
	ECE        metrics.Stat `json:"ece"`
}

// scored is the evaluation's input: P(positive) per row and whether it is positive.
type scored struct {
	p         []float32
	y         []int32 // 1 positive, 0 not
	floor     int
	threshold float64 // the card's
}

// Evaluate runs the verified release's model through ONNX Runtime on d and evaluates it
// against the card. The local set as a whole must reach the floor.
func Evaluate(v *release.Verified, d *Data, opts Options) (*Evaluation, error) {
	card := &v.Card
	floor := effectiveFloor(card, opts.Floor)
	if d.N < floor {
		return nil, fmt.Errorf("evaluate %s@%s: the local set has fewer rows than the floor of %d: nothing can be reported", card.Name, card.Version, floor)
	}
	if t := opts.Threshold; t != 0 && (math.IsNaN(t) || t <= 0 || t > 1) {
		return nil, fmt.Errorf("evaluate: local threshold %g, want (0, 1]", t)
	}
	probs, took, err := infer(v.Files.ONNX, d)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s@%s: %w", card.Name, card.Version, err)
	}
	pos := int32(slices.Index(card.Classes, card.PositiveClass))
	s, err := positiveScores(probs, d, pos)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s@%s: %w", card.Name, card.Version, err)
	}
	dev := development(card)
	s.floor, s.threshold = floor, dev.threshold
	e := &Evaluation{Floor: floor, Input: "tabular", PositiveClass: card.PositiveClass, Inference: took}
	if d.Images {
		e.Input = "images"
	}
	k := s.positives()
	e.N, e.Positives = count(d.N, floor), count(k, floor)
	e.Prevalence = rate(k, d.N, floor)
	if e.Positives.Suppressed() {
		e.Prevalence = metrics.NaN() // with n shown, the share would give the count away
	}
	e.AUROC = s.auroc()
	e.AtCard = s.at(dev.threshold)
	if opts.Threshold != 0 {
		op := s.at(opts.Threshold)
		e.AtLocal = &op
	}
	e.Calibration = s.calibration()
	e.Subgroups = s.subgroups(d.Subgroups)
	e.Shift = shift(card, d, k, floor)
	e.Comparison = compare(e, dev)
	e.Notes = notes(e, k, d.N, floor)
	return e, nil
}

// effectiveFloor is the trust's floor, raised to the card's own when that is higher.
func effectiveFloor(card *release.Card, trust int) int {
	floor := trust
	if floor <= 0 {
		floor = DefaultFloor
	}
	var ev struct {
		MinGroupSize int `json:"min_group_size"`
	}
	if json.Unmarshal(card.Evaluation, &ev) == nil && ev.MinGroupSize > floor {
		floor = ev.MinGroupSize
	}
	return floor
}

// infer runs the model over every row in ONNX Runtime.
func infer(model []byte, d *Data) ([]float32, time.Duration, error) {
	sess, err := onnx.Load(model)
	if err != nil {
		return nil, 0, err
	}
	defer sess.Close()
	if len(d.X) != d.N*sess.InputSize() {
		return nil, 0, fmt.Errorf("%d input values for %d rows, the model takes %d per row", len(d.X), d.N, sess.InputSize())
	}
	start := time.Now()
	probs, err := sess.Run(d.X, d.N)
	return probs, time.Since(start), err
}

// positiveScores is P(positive class) per row: the single sigmoid output, or the
// positive class's softmax column.
func positiveScores(probs []float32, d *Data, pos int32) (scored, error) {
	cols := len(probs) / d.N
	if cols*d.N != len(probs) || cols < 1 {
		return scored{}, fmt.Errorf("%d outputs for %d rows", len(probs), d.N)
	}
	s := scored{p: make([]float32, d.N), y: make([]int32, d.N)}
	for i := range s.p {
		if cols == 1 {
			s.p[i] = probs[i]
		} else {
			s.p[i] = probs[i*cols+int(pos)]
		}
		if v := s.p[i]; math.IsNaN(float64(v)) || v < 0 || v > 1 {
			return scored{}, fmt.Errorf("the model's output for a row is not a probability in [0, 1]")
		}
		if d.Y[i] == pos {
			s.y[i] = 1
		}
	}
	return s, nil
}

func (s scored) positives() int {
	k := 0
	for _, y := range s.y {
		k += int(y)
	}
	return k
}

// rate is num/den as a Stat, undefined when den is under the floor.
func rate(num, den, floor int) metrics.Stat {
	if den == 0 || den < floor {
		return metrics.NaN()
	}
	return metrics.Stat(float64(num) / float64(den))
}

func (s scored) auroc() AUROC {
	a := AUROC{Interval: metrics.Interval{Estimate: metrics.NaN(), Lower: metrics.NaN(), Upper: metrics.NaN()}, Method: metrics.CIMethod}
	k := s.positives()
	switch neg := len(s.y) - k; {
	case k == 0:
		a.Reason = "undefined: no positive records"
	case neg == 0:
		a.Reason = "undefined: no negative records"
	case k < s.floor || neg < s.floor:
		a.Reason = fmt.Sprintf("suppressed: fewer than %d positive or negative records", s.floor)
	default:
		est := metrics.DeLongAUROC(s.p, s.y)
		a.Interval = est.Interval()
		a.Reason = est.Reason
	}
	return a
}

func (s scored) at(threshold float64) Operating {
	var tp, fp, tn, fn int
	for i, p := range s.p {
		switch called := float64(p) >= threshold; {
		case called && s.y[i] == 1:
			tp++
		case called:
			fp++
		case s.y[i] == 1:
			fn++
		default:
			tn++
		}
	}
	f := s.floor
	return Operating{
		Threshold:   threshold,
		Sensitivity: wilson(tp, tp+fn, f), Specificity: wilson(tn, tn+fp, f),
		PPV: wilson(tp, tp+fp, f), NPV: wilson(tn, tn+fn, f),
		TP: count(tp, f), FP: count(fp, f), TN: count(tn, f), FN: count(fn, f),
	}
}

// wilson is k/n with its Wilson interval, undefined when n is under the floor.
func wilson(k, n, floor int) metrics.Interval {
	if n < floor {
		return metrics.Wilson(0, 0)
	}
	return metrics.Wilson(k, n)
}

func (s scored) calibration() Calibration {
	c := Calibration{Slope: metrics.NaN(), Intercept: metrics.NaN(), ECE: metrics.NaN(), Brier: metrics.NaN()}
	k := s.positives()
	if k >= s.floor && len(s.y)-k >= s.floor {
		r := metrics.Recalibrate(s.p, s.y)
		c.Slope, c.Intercept = r.Slope, r.Intercept
	}
	if b, err := metrics.Brier(s.p, s.y); err == nil {
		c.Brier = metrics.Stat(b)
	}
	cal, err := metrics.Calibrate(s.p, s.y)
	if err != nil {
		return c
	}
	c.ECE = cal.ECE
	for _, b := range cal.Bins {
		bin := Bin{Lower: b.Lower, Upper: b.Upper, N: count(b.Count, s.floor), MeanPredicted: metrics.NaN(), Observed: metrics.NaN()}
		if b.Count >= s.floor {
			bin.MeanPredicted, bin.Observed = b.MeanPredicted, b.ObservedFraction
		}
		c.Bins = append(c.Bins, bin)
	}
	return c
}

// subgroups breaks the evaluation down by each attribute's values, in sorted order.
func (s scored) subgroups(attrs map[string][]string) []Attribute {
	out := []Attribute{}
	for _, name := range sortedKeys(attrs) {
		values := attrs[name]
		members := map[string][]int{}
		for i, v := range values {
			members[v] = append(members[v], i)
		}
		a := Attribute{Attribute: name}
		small := 0
		for _, v := range sortedKeys(members) {
			idx := members[v]
			if len(idx) < s.floor {
				small++ // neither its size nor its value is shown: a rare value can name a patient
				continue
			}
			g := scored{floor: s.floor, threshold: s.threshold}
			for _, i := range idx {
				g.p, g.y = append(g.p, s.p[i]), append(g.y, s.y[i])
			}
			au, op := g.auroc(), g.at(s.threshold)
			grp := Group{Value: v, N: count(len(idx), s.floor), Positives: count(g.positives(), s.floor), AUROC: &au, AtCard: &op, ECE: metrics.NaN()}
			if cal, err := metrics.Calibrate(g.p, g.y); err == nil {
				grp.ECE = cal.ECE
			}
			a.Groups = append(a.Groups, grp)
		}
		if small > 0 {
			a.Groups = append(a.Groups, Group{Value: fmt.Sprintf("(%d values with fewer than %d records each)", small, s.floor),
				Suppressed: true, N: Count{Below: s.floor}, Positives: Count{Below: s.floor}, ECE: metrics.NaN()})
		}
		out = append(out, a)
	}
	return out
}
