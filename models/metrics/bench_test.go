package metrics

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkReport measures a full report (overall plus two subgroup attributes) on a
// test split of realistic size.
func BenchmarkReport(b *testing.B) {
	cases := []struct {
		name       string
		n, classes int
	}{{"binary_n100000", 100000, 2}, {"multiclass10_n20000", 20000, 10}}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			cols := tc.classes
			if cols == 2 {
				cols = 1
			}
			p, y := make([]float32, 0, tc.n*cols), make([]int32, tc.n)
			sex, site := make([]string, tc.n), make([]string, tc.n)
			for i := range y {
				y[i] = int32(r.IntN(tc.classes))
				sex[i], site[i] = []string{"F", "M"}[r.IntN(2)], []string{"a", "b", "c", "d", "e"}[r.IntN(5)]
				if cols == 1 {
					p = append(p, min(1, max(0, float32(0.3+0.4*float64(y[i])+0.2*r.NormFloat64()))))
					continue
				}
				row := make([]float32, cols)
				var sum float32
				for c := range row {
					row[c] = r.Float32() + 2*float32(boolToInt(c == int(y[i])))
					sum += row[c]
				}
				for _, v := range row {
					p = append(p, v/sum)
				}
			}
			opts := ReportOptions{Subgroups: map[string][]string{"sex": sex, "site": site}}
			b.ResetTimer()
			for b.Loop() {
				if _, err := Report(p, y, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
