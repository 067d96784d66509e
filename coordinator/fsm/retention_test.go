package fsm

import (
	"reflect"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// A checkpoint_delete entry removes only what retention allows at apply time, writes
// its audit entry, and a second FSM fed the same log ends with the same ledger and audit.
func TestApplyCheckpointDeleteIsDeterministic(t *testing.T) {
	f := New(nil)
	var log []*raft.Log
	apply := func(mt structs.MessageType, req any) {
		t.Helper()
		data, err := structs.Encode(mt, req)
		if err != nil {
			t.Fatal(err)
		}
		l := &raft.Log{Index: uint64(len(log) + 1), Term: 1, Type: raft.LogCommand, Data: data}
		log = append(log, l)
		if resp := f.Apply(l); resp != nil {
			t.Fatalf("apply %s: %v", mt, resp)
		}
	}
	apply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{
		Node: structs.Node{ID: "n1", Address: "127.0.0.1:7000", Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Health: structs.DeviceHealthy}}}})
	apply(structs.ExperimentSubmitRequestType, &structs.ExperimentSubmitRequest{Experiment: structs.Experiment{ID: "e1", Name: "w",
		Spec: experiments.Spec{Name: "w", Checkpoint: experiments.CheckpointSpec{EverySteps: 10, KeepLast: 1, KeepBest: "val_auroc"}}}})
	apply(structs.AttemptCreateRequestType, &structs.AttemptCreateRequest{
		Attempt: structs.Attempt{ID: "a1", ExperimentID: "e1", Ranks: []structs.Rank{{Rank: 0, NodeID: "n1", Address: "127.0.0.1:7000"}}}})
	for i, auroc := range []float64{0.7, 0.9, 0.8, 0.6} {
		id := string(rune('a' + i))
		apply(structs.CheckpointCommitRequestType, &structs.CheckpointCommitRequest{Checkpoint: structs.Checkpoint{
			ID: id, ExperimentID: "e1", AttemptID: "a1", Step: int64(10 * (i + 1)), ManifestHash: "m", BlobHashes: []string{"x"},
			WorldSize: 1, Metrics: map[string]float64{"val_auroc": auroc}}})
	}
	if got := f.State().RetentionCandidates(); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("candidates %v, want [a c] (d is last, b is best)", got)
	}
	apply(structs.CheckpointDeleteRequestType, &structs.CheckpointDeleteRequest{WriteRequest: audit("checkpoint_retention"),
		CheckpointIDs: []string{"a", "b", "c", "d"}})
	var left []string
	for _, c := range f.State().Checkpoints("e1") {
		left = append(left, c.ID)
	}
	if !reflect.DeepEqual(left, []string{"b", "d"}) {
		t.Fatalf("ledger after delete: %v, want [b d]", left)
	}
	au := f.State().Audit(0, 0)
	if len(au) == 0 || au[len(au)-1].Action != "checkpoint_retention" || au[len(au)-1].Outcome != structs.OutcomeOK || au[len(au)-1].Index != uint64(len(log)) {
		t.Fatalf("audit %+v, want an ok checkpoint_retention last, at index %d", au, len(log))
	}

	replay := New(nil)
	for _, l := range log {
		if resp := replay.Apply(l); resp != nil {
			t.Fatalf("replay index %d: %v", l.Index, resp)
		}
	}
	if !reflect.DeepEqual(replay.State().Checkpoints(""), f.State().Checkpoints("")) ||
		!reflect.DeepEqual(replay.State().Audit(0, 0), f.State().Audit(0, 0)) {
		t.Fatal("replaying the same log gave a different ledger or audit")
	}
}
