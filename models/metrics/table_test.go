package metrics

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// tableFixture builds a deterministic data set: scores that separate the classes
// imperfectly, a subgroup split evenly, and one with a small group and missing values.
func tableFixture(classes int) ([]float32, []int32, ReportOptions) {
	const n = 60
	cols := classes
	if classes == 2 {
		cols = 1
	}
	p, y := make([]float32, 0, n*cols), make([]int32, n)
	sex, site := make([]string, n), make([]string, n)
	for i := range n {
		y[i] = int32(i % classes)
		noise := math.Mod(float64(i)*0.37, 1)
		if classes == 2 {
			p = append(p, float32(0.1+0.3*float64(y[i])+0.55*noise))
		} else {
			row := make([]float64, classes)
			var sum float64
			for c := range row {
				row[c] = 0.2 + math.Mod(float64(i*(c+2))*0.29, 0.6)
				if c == int(y[i]) {
					row[c] += 0.25
				}
				sum += row[c]
			}
			for _, v := range row {
				p = append(p, float32(v/sum))
			}
		}
		sex[i] = []string{"F", "M"}[(i/2)%2]
		switch {
		case i < 4:
			site[i] = "island" // 4 records: suppressed
		case i < 16:
			site[i] = "" // missing
		default:
			site[i] = "mainland"
		}
	}
	opts := ReportOptions{Subgroups: map[string][]string{"sex": sex, "site": site}}
	if classes == 3 {
		opts.ClassNames = []string{"normal", "afib", "other"}
	}
	return p, y, opts
}

func TestTableGolden(t *testing.T) {
	cases := []struct {
		name    string
		classes int
		golden  string
	}{
		{"binary", 2, "table_binary.golden"},
		{"multiclass", 3, "table_multiclass.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, y, opts := tableFixture(tc.classes)
			r, err := Report(p, y, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Table()
			for _, want := range []string{"delong 95%", "(missing)", "Youden", "Reliability curve"} {
				if tc.classes == 3 && want == "Reliability curve" {
					continue
				}
				if !strings.Contains(got, want) {
					t.Errorf("table lacks %q", want)
				}
			}
			var island string
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, "island") {
					island = line
				}
			}
			if f := strings.Fields(island); len(f) != 3 || f[1] != "<10" || f[2] != "suppressed" {
				t.Errorf("small group row %q, want island <10 suppressed", island)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if got != string(want) {
				t.Fatalf("table differs from %s (run with -update after checking):\n%s", path, got)
			}
		})
	}
}

func TestTableNotComputable(t *testing.T) {
	r, err := Report([]float32{0.2, 0.4, 0.9}, []int32{1, 1, 1}, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Table()
	for _, want := range []string{"AUROC not computable", "n/a"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

func TestTableCleansNames(t *testing.T) {
	r, err := Report([]float32{0.2, 0.8}, []int32{0, 1}, ReportOptions{ClassNames: []string{"no\tcancer", "cancer\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Table(); strings.Contains(got, "no\tcancer") || strings.Contains(got, "cancer\n ") {
		t.Fatalf("control characters from class names reached the table:\n%s", got)
	}
}
