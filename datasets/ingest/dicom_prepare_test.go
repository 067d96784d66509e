package ingest

import (
	"fmt"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/deid"
)

// fakeCorpus is n patients with 1 to 5 files each, the class decided by the patient.
func fakeCorpus(n int) (*dicomCorpus, []int32) {
	c := &dicomCorpus{h: 2, w: 2, subgroups: [][]string{{}}}
	var y []int32
	for p := range n {
		for f := range 1 + p%5 {
			c.files++
			c.patients = append(c.patients, fmt.Sprintf("%032x", p+1))
			c.subgroups[0] = append(c.subgroups[0], []string{"F", "M"}[p%2])
			c.x = append(c.x, float32(p), float32(f), 0, 1)
			y = append(y, int32(p%3%2))
		}
	}
	return c, y
}

func TestPrepareDICOMSplitsByPatient(t *testing.T) {
	spec := &deid.IngestSpec{Label: deid.Label{Classes: []string{"normal", "abnormal"}},
		DICOM: &deid.DICOM{Shape: [3]int{1, 2, 2}, Subgroups: []string{"PatientSex"}}}
	c, y := fakeCorpus(90)
	for _, seed := range []uint64{1, 2, 3, 42} {
		p, err := prepareDICOM(spec, c, y, seed, DefaultFractions)
		if err != nil {
			t.Fatal(err)
		}
		partOf := map[string]int{}
		total := 0
		for part, r := range p.parts {
			if len(r.Patients) != r.Len() || len(r.X) != 4*r.Len() || len(r.Subgroups[0]) != r.Len() {
				t.Fatalf("part %d: %d patients, %d features for %d records", part, len(r.Patients), len(r.X), r.Len())
			}
			seen := [2]bool{}
			for i, pt := range r.Patients {
				if prev, ok := partOf[pt]; ok && prev != part {
					t.Fatalf("seed %d: patient %s in parts %d and %d", seed, pt, prev, part)
				}
				partOf[pt] = part
				seen[r.Y[i]] = true
				// the features travel with the record: the first pixel is the patient number
				var num int
				fmt.Sscanf(pt, "%x", &num)
				if r.X[4*i] != float32(num-1) {
					t.Fatalf("record %d of part %d carries another patient's image", i, part)
				}
			}
			if !seen[0] || !seen[1] {
				t.Errorf("seed %d: part %d lacks a class (not stratified)", seed, part)
			}
			total += r.Len()
		}
		if total != c.files || len(partOf) != 90 {
			t.Errorf("%d records of %d, %d patients of 90", total, c.files, len(partOf))
		}
		if n := len(p.parts[0].Patients); n < c.files/2 {
			t.Errorf("train has only %d of %d records", n, c.files)
		}
		if len(p.subgroups) != 1 || len(p.subgroups[0].Codes) != 2 {
			t.Errorf("subgroups %+v", p.subgroups)
		}
	}
}

func TestQuasiTableCountsPatients(t *testing.T) {
	c := &dicomCorpus{quasi: [][]string{{}}}
	// patient a has 9 files, patient b one: 2 patients, each alone in its group
	for i := range 10 {
		p := "a"
		if i == 9 {
			p = "b"
		}
		c.patients = append(c.patients, p)
		c.quasi[0] = append(c.quasi[0], p+"-sex")
		c.files++
	}
	tb := c.quasiTable([]string{"PatientSex"}, 5)
	if len(tb.Rows) != 2 {
		t.Fatalf("%d rows, want one per patient", len(tb.Rows))
	}
}
