package checkpoint

import (
	"errors"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/models"
)

func sum(p []*models.Param) float64 {
	var s float64
	for _, v := range p[0].Data {
		s += float64(v)
	}
	return s
}

// TestWriterEvaluatesSnapshot: State.Evaluate runs on the writer's goroutine, on the
// snapshot (training has already changed the live values when it runs), and its
// metrics reach the manifest and the ledger record beside the caller's.
func TestWriterEvaluatesSnapshot(t *testing.T) {
	store := fileStore(t)
	ledger := StoreLedger{Store: store}
	w := NewWriter(store, ledger, nil)
	live := testState(t, 5).Params // the live parameters of a model
	st := testState(t, 5)
	st.Params = CloneTensors(live)
	want := sum(st.Params)
	mutated := make(chan struct{})
	st.Metrics = map[string]float64{"train_loss": 0.5, "val_sum": -1}
	st.Evaluate = func(params []*models.Param) (map[string]float64, error) {
		<-mutated // training has moved on
		return map[string]float64{"val_sum": sum(params)}, nil
	}
	if err := w.Submit(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	for _, p := range live {
		for i := range p.Data {
			p.Data[i] += 100
		}
	}
	close(mutated)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	records, err := ledger.List(t.Context(), "exp")
	if err != nil || len(records) != 1 {
		t.Fatalf("ledger %+v, %v: want one record", records, err)
	}
	l, err := Load(t.Context(), store, records[0].ManifestSHA)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]float64{records[0].Metrics, l.Manifest.Metrics} {
		if m["val_sum"] != want || m["train_loss"] != 0.5 {
			t.Fatalf("metrics %v: want val_sum %v of the snapshot and train_loss 0.5", m, want)
		}
	}
}

func TestWriterEvaluateFailureCommitsNothing(t *testing.T) {
	store := fileStore(t)
	ledger := StoreLedger{Store: store}
	w := NewWriter(store, ledger, nil)
	st := testState(t, 5)
	st.Evaluate = func([]*models.Param) (map[string]float64, error) {
		return nil, errors.New("validation split unreadable")
	}
	if err := w.Submit(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "evaluate: validation split unreadable") {
		t.Fatalf("Flush error %v, want the evaluation's failure", err)
	}
	if records, _ := ledger.List(t.Context(), "exp"); len(records) != 0 {
		t.Fatalf("a checkpoint whose evaluation failed was committed: %+v", records)
	}
}
