package validator

import (
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// distribution summarises the development data for the card, so trusts can measure
// their dataset shift: the training split when it is in memory (a CSV dataset), else
// the validation split (an ingested dataset streams its training shards and the
// release does not read them). Nil when neither holds enough rows to summarise.
func distribution(d *loop.Data) *release.CardDistribution {
	size := sampleSize(d)
	split, name := d.Train, "train"
	if !summarisable(split, size) {
		split, name = d.Validation, "validation"
	}
	if !summarisable(split, size) {
		return nil
	}
	out := &release.CardDistribution{Split: name, N: split.N, ClassShares: make([]float64, len(d.Classes))}
	for _, y := range split.Y {
		out.ClassShares[y]++
	}
	for c := range out.ClassShares {
		out.ClassShares[c] /= float64(split.N)
	}
	if len(d.Features) == 0 { // images: one histogram of every pixel
		pixels := make([]float64, len(split.Raw))
		for i, v := range split.Raw {
			pixels[i] = float64(v)
		}
		s, err := metrics.SummariseAt(pixels, release.IntensityEdges())
		if err != nil {
			return nil
		}
		out.Intensity = &s
		return out
	}
	col := make([]float64, split.N)
	for j, name := range d.Features {
		for i := range col {
			col[i] = float64(split.Raw[i*size+j])
		}
		s, err := metrics.Summarise(col)
		if err != nil {
			return nil
		}
		out.Features = append(out.Features, release.CardFeature{Name: name, Distribution: s})
	}
	return out
}

// summarisable reports whether a split holds its raw rows and enough of them for deciles.
func summarisable(s loop.Split, size int) bool {
	return s.N >= 2*metrics.ShiftBins && len(s.Raw) == s.N*size && len(s.Y) == s.N
}
