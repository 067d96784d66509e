package shards

import (
	"errors"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

// TestWriterPatients: with Patients set every shard carries each record's
// pseudonym as 16 bytes; a missing list or a value that is not a pseudonym (an
// identifier left in place) is refused before anything is uploaded.
func TestWriterPatients(t *testing.T) {
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(WriterConfig{Store: store, FeatureShape: []int{1}, Classes: 2, Patients: true, TargetBytes: 2 * (4 + 4 + 8 + PatientIDBytes)})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := strings.Repeat("ab", 16), strings.Repeat("cd", 16)
	part, err := w.WritePart(t.Context(), PartTrain, &Records{X: []float32{1, 2, 3}, Y: []int32{0, 1, 0}, Subgroups: [][]int32{}, Patients: []string{p1, p2, p1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Shards) != 2 {
		t.Fatalf("%d shards, want 2 of at most 2 records", len(part.Shards))
	}
	for _, bad := range []*Records{
		{X: []float32{1}, Y: []int32{0}, Subgroups: [][]int32{}},
		{X: []float32{1}, Y: []int32{0}, Subgroups: [][]int32{}, Patients: []string{"9434765919"}},
	} {
		before := len(w.Uploaded())
		if _, err := w.WritePart(t.Context(), PartTest, bad); !errors.Is(err, ErrConfig) {
			t.Errorf("patients %q: %v", bad.Patients, err)
		} else if strings.Contains(err.Error(), "9434765919") {
			t.Errorf("the error echoes the value: %v", err)
		}
		if len(w.Uploaded()) != before {
			t.Error("a refused part uploaded a shard")
		}
	}
}
