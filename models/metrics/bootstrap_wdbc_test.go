package metrics

import (
	"encoding/csv"
	"os"
	"slices"
	"strconv"
	"testing"
)

// TestDeLongAgainstBootstrapOnWDBC compares the two intervals on real data: WDBC's
// 569 biopsies scored by one measurement (concave_points_worst; malignant positive).
// `go test ./models/metrics -run DeLongAgainstBootstrap -v` prints the figures.
func TestDeLongAgainstBootstrapOnWDBC(t *testing.T) {
	f, err := os.Open("../../datasets/testdata/wdbc.csv")
	if err != nil {
		t.Skip("WDBC not in the checkout:", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col, label := slices.Index(rows[0], "concave_points_worst"), slices.Index(rows[0], "diagnosis")
	var s []float32
	var y []int32
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[col], 32)
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, float32(v))
		y = append(y, map[bool]int32{true: 1}[r[label] == "M"])
	}
	d := DeLongAUROC(s, y)
	for _, b := range []int{2000, 10000} {
		bs := BootstrapAUROC(s, y, b, 1)
		t.Logf("WDBC n=%d: AUROC %.4f  DeLong 95%% CI [%.4f, %.4f] (width %.4f)  bootstrap %d [%.4f, %.4f] (width %.4f)",
			len(y), d.Estimate, d.Lower, d.Upper, d.Upper-d.Lower, b, bs.Lower, bs.Upper, bs.Upper-bs.Lower)
		if abs(float64(bs.Lower-d.Lower)) > 0.01 || abs(float64(bs.Upper-d.Upper)) > 0.01 {
			t.Fatalf("bootstrap [%g, %g] and DeLong [%g, %g] differ by more than 0.01", bs.Lower, bs.Upper, d.Lower, d.Upper)
		}
	}
	// Half the data: both widen alike.
	h := len(y) / 2
	d2, b2 := DeLongAUROC(s[:h], y[:h]), BootstrapAUROC(s[:h], y[:h], 10000, 2)
	t.Logf("WDBC first half n=%d: DeLong [%.4f, %.4f]  bootstrap [%.4f, %.4f]", h, d2.Lower, d2.Upper, b2.Lower, b2.Upper)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
