package synth

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
)

var update = flag.Bool("update", false, "rewrite testdata/synth-ingest.yaml from IngestSpecYAML")

const specFile = "synth-ingest.yaml"

func TestShippedSpecMatches(t *testing.T) {
	path := filepath.Join("testdata", specFile)
	if *update {
		if err := os.WriteFile(path, []byte(IngestSpecYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != IngestSpecYAML {
		t.Fatalf("%s differs from IngestSpecYAML; run go test -run TestShippedSpecMatches -update", path)
	}
	if _, err := deid.LoadIngestSpec(path); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	h1, a := Generate(50, 7)
	_, b := Generate(50, 7)
	_, c := Generate(50, 8)
	if !slices.Equal(h1, Header) || len(a) != 50 {
		t.Fatalf("header %v, %d rows", h1, len(a))
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("row %d differs between runs with the same seed", i+1)
		}
		if len(a[i]) != len(Header) {
			t.Fatalf("row %d has %d cells", i+1, len(a[i]))
		}
	}
	same := 0
	for i := range a {
		if slices.Equal(a[i], c[i]) {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("different seeds give the same records")
	}
}

func TestGenerateRealistic(t *testing.T) {
	_, rows := Generate(2000, 1)
	col := func(name string) int { return slices.Index(Header, name) }
	positives, spaced, notesWithNHS := 0, 0, 0
	for i, r := range rows {
		if !gate.ValidNHSNumber(r[col("nhs_number")]) {
			t.Fatalf("row %d: NHS number fails the Modulus 11 check", i+1)
		}
		if strings.Contains(r[col("nhs_number")], " ") {
			spaced++
		}
		if r[col("sepsis")] == "1" {
			positives++
		}
		if strings.Contains(r[col("notes")], "NHS No") {
			notesWithNHS++
		}
		if _, err := deid.PostcodeDistrict(r[col("postcode")]); err != nil {
			t.Fatalf("row %d: postcode: %v", i+1, err)
		}
	}
	if prev := float64(positives) / float64(len(rows)); prev < 0.15 || prev > 0.5 {
		t.Errorf("label prevalence %.2f outside [0.15, 0.5]", prev)
	}
	if spaced == 0 || spaced == len(rows) {
		t.Errorf("%d of %d NHS numbers spaced; want a mixture", spaced, len(rows))
	}
	if notesWithNHS == 0 {
		t.Error("no note repeats an NHS number")
	}
}

// TestLabelLearnable checks that the label depends on the features: the
// mean CRP and lactate of positives exceed those of negatives.
func TestLabelLearnable(t *testing.T) {
	_, rows := Generate(2000, 3)
	crp, lac, y := slices.Index(Header, "crp"), slices.Index(Header, "lactate"), slices.Index(Header, "sepsis")
	var sum [2][2]float64
	var n [2]float64
	for _, r := range rows {
		k := 0
		if r[y] == "1" {
			k = 1
		}
		n[k]++
		sum[k][0] += parseFloat(t, r[crp])
		sum[k][1] += parseFloat(t, r[lac])
	}
	for f, name := range []string{"crp", "lactate"} {
		neg, pos := sum[0][f]/n[0], sum[1][f]/n[1]
		if pos < 1.3*neg {
			t.Errorf("%s: mean %.2f in positives vs %.2f in negatives; want a clear separation", name, pos, neg)
		}
	}
}
