package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSummariseDecilesAndShares(t *testing.T) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(i)
	}
	d, err := Summarise(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Edges) != ShiftBins-1 || len(d.Proportions) != ShiftBins {
		t.Fatalf("%d edges, %d shares", len(d.Edges), len(d.Proportions))
	}
	if math.Abs(d.Edges[0]-9.9) > 1e-9 || math.Abs(d.Mean-49.5) > 1e-9 {
		t.Fatalf("first decile %g (want 9.9), mean %g", d.Edges[0], d.Mean)
	}
	for b, p := range d.Proportions {
		if math.Abs(p-0.1) > 1e-9 {
			t.Fatalf("bin %d holds %g of the values, want 0.1", b, p)
		}
	}
	// A binary input gets a few distinct cut points, not nine equal ones, and its
	// PSI against itself is 0.
	bin := make([]float64, 50)
	for i := range bin {
		bin[i] = float64(i % 2)
	}
	d, err = Summarise(bin)
	if err != nil || len(d.Edges) > 3 || len(d.Proportions) != len(d.Edges)+1 {
		t.Fatalf("binary input: %v, %+v", err, d)
	}
	if s, err := CompareTo(d, bin); err != nil || s.PSI != 0 {
		t.Fatalf("binary input against itself: %v, PSI %g", err, s.PSI)
	}
	if _, err := Summarise(v[:ShiftBins-1]); err == nil {
		t.Fatal("summarised fewer values than bins")
	}
}

func TestPSIAndSMDHandComputed(t *testing.T) {
	// PSI of (0.5, 0.5) against (0.25, 0.75): 0.25·ln 2 + 0.25·ln(1.5)... per bin:
	// (0.25−0.5)·ln(0.5) + (0.75−0.5)·ln(1.5).
	want := -0.25*math.Log(0.5) + 0.25*math.Log(1.5)
	if got := PSI([]float64{0.5, 0.5}, []float64{0.25, 0.75}); math.Abs(got-want) > 1e-12 {
		t.Fatalf("PSI = %g, want %g", got, want)
	}
	if got := PSI([]float64{0.3, 0.7}, []float64{0.3, 0.7}); got != 0 {
		t.Fatalf("PSI of equal shares = %g", got)
	}
	if got := PSI([]float64{0.5, 0.5}, []float64{0, 1}); math.IsInf(got, 0) || got < 1 {
		t.Fatalf("PSI with an empty bin = %g, want large and finite", got)
	}
	if got := SMD(10, 2, 11, 2); math.Abs(float64(got)-0.5) > 1e-12 {
		t.Fatalf("SMD = %g, want 0.5", got)
	}
	if SMD(1, 0, 1, 0).Defined() {
		t.Fatal("SMD of two constants is defined")
	}
}

func TestCompareToFindsAShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ref, same, moved := make([]float64, 2000), make([]float64, 2000), make([]float64, 2000)
	for i := range ref {
		ref[i], same[i], moved[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()+0.8
	}
	d, err := Summarise(ref)
	if err != nil {
		t.Fatal(err)
	}
	s, err := CompareTo(d, same)
	if err != nil || s.PSI > 0.05 || math.Abs(float64(s.SMD)) > 0.1 {
		t.Fatalf("same distribution: %v, PSI %g, SMD %g", err, s.PSI, s.SMD)
	}
	m, err := CompareTo(d, moved)
	if err != nil || m.PSI < 0.25 || math.Abs(float64(m.SMD)-0.8) > 0.1 {
		t.Fatalf("shifted by 0.8 SD: %v, PSI %g, SMD %g", err, m.PSI, m.SMD)
	}
}

func TestWilsonKnownValues(t *testing.T) {
	// Wilson 95% interval of 8/10: [0.4902, 0.9433] (Newcombe 1998, table I).
	w := Wilson(8, 10)
	if math.Abs(float64(w.Lower)-0.4902) > 1e-4 || math.Abs(float64(w.Upper)-0.9433) > 1e-4 {
		t.Fatalf("Wilson(8, 10) = %+v", w)
	}
	if w := Wilson(0, 10); w.Lower != 0 || w.Estimate != 0 || w.Upper < 0.2 {
		t.Fatalf("Wilson(0, 10) = %+v", w)
	}
	if Wilson(0, 0).Estimate.Defined() {
		t.Fatal("Wilson(0, 0) is defined")
	}
}

func TestRecalibrationRecoversSlopeAndIntercept(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	p, y := make([]float32, n), make([]int32, n)
	// Outcomes drawn from logit P = 0.5 + 0.5·logit(p): slope 0.5, and in the large
	// the model under-predicts (positive intercept).
	for i := range p {
		l := rng.NormFloat64() * 2
		p[i] = float32(1 / (1 + math.Exp(-l)))
		if rng.Float64() < 1/(1+math.Exp(-(0.5+0.5*l))) {
			y[i] = 1
		}
	}
	r := Recalibrate(p, y)
	if math.Abs(float64(r.Slope)-0.5) > 0.05 || !(r.Intercept > 0) {
		t.Fatalf("recalibration %+v, want slope ≈ 0.5 and a positive intercept", r)
	}
	if r := Recalibrate(p, make([]int32, n)); r.Slope.Defined() || r.Intercept.Defined() {
		t.Fatalf("recalibration without positives is defined: %+v", r)
	}
}

func TestBootstrapAgreesWithDeLong(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 400
	s, y := make([]float32, n), make([]int32, n)
	for i := range s {
		if i%3 == 0 {
			y[i] = 1
		}
		s[i] = float32(math.Round((rng.NormFloat64()+float64(y[i]))*10) / 10) // ties
	}
	d := DeLongAUROC(s, y)
	b := BootstrapAUROC(s, y, 2000, 1)
	if b.Estimate != d.Estimate {
		t.Fatalf("point estimates differ: bootstrap %g, DeLong %g", b.Estimate, d.Estimate)
	}
	if math.Abs(float64(b.Lower-d.Lower)) > 0.02 || math.Abs(float64(b.Upper-d.Upper)) > 0.02 {
		t.Fatalf("bootstrap [%g, %g] far from DeLong [%g, %g]", b.Lower, b.Upper, d.Lower, d.Upper)
	}
	// mannWhitney, the bootstrap's AUROC, is DeLong's on the same data.
	x, w := binaryData{score: toF64(s), pos: isPos(y)}.split()
	if got := mannWhitney(x, w); math.Abs(got-float64(d.Estimate)) > 1e-12 {
		t.Fatalf("Mann–Whitney %g, DeLong %g", got, d.Estimate)
	}
}

func toF64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func isPos(y []int32) []bool {
	out := make([]bool, len(y))
	for i, v := range y {
		out[i] = v == 1
	}
	return out
}
