package fsm

import (
	"errors"
	"reflect"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// applier proposes commands to an FSM directly, as raft would after commit.
type applier struct {
	t     *testing.T
	f     *FSM
	index uint64
}

func (a *applier) apply(mt structs.MessageType, req any) any {
	a.t.Helper()
	data, err := structs.Encode(mt, req)
	if err != nil {
		a.t.Fatal(err)
	}
	a.index++
	return a.f.Apply(&raft.Log{Index: a.index, Term: 1, Type: raft.LogCommand, Data: data})
}

func (a *applier) mustApply(mt structs.MessageType, req any) {
	a.t.Helper()
	if resp := a.apply(mt, req); resp != nil {
		a.t.Fatalf("apply %s: %v", mt, resp)
	}
}

func audit(action string) structs.WriteRequest {
	return structs.WriteRequest{Timestamp: 1700000000000000000,
		Audit: &structs.AuditEntry{Time: 1700000000000000000, Actor: "acc-1", Action: action, Target: "t"}}
}

// populate applies one command of every record type.
func populate(t *testing.T) *applier {
	a := &applier{t: t, f: New(nil)}
	yes := true
	a.mustApply(structs.ACLBootstrapRequestType, &structs.ACLBootstrapRequest{WriteRequest: audit("acl_bootstrap"),
		Token: structs.ACLToken{AccessorID: "acc-1", SecretHash: structs.HashSecret("s1"), Name: "root", Roles: []string{structs.RoleAdmin}}})
	a.mustApply(structs.ACLTokenUpsertRequestType, &structs.ACLTokenUpsertRequest{WriteRequest: audit("acl_token_create"),
		Token: structs.ACLToken{AccessorID: "acc-2", SecretHash: structs.HashSecret("s2"), Name: "bot", Roles: []string{structs.RoleAgent}}})
	a.mustApply(structs.ServerMemberUpsertRequestType, &structs.ServerMemberUpsertRequest{
		Member: structs.ServerMember{ID: "s1", RaftAddr: "127.0.0.1:1", HTTPAddr: "127.0.0.1:2"}})
	a.mustApply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{WriteRequest: audit("node_register"),
		Node: structs.Node{ID: "n1", Name: "w1", Address: "127.0.0.1:7000",
			Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Health: structs.DeviceHealthy}}}})
	a.mustApply(structs.NodeDrainRequestType, &structs.NodeDrainRequest{WriteRequest: audit("node_drain"), NodeID: "n1", Enable: false})
	a.mustApply(structs.DatasetRegisterRequestType, &structs.DatasetRegisterRequest{WriteRequest: audit("dataset_register"),
		Dataset: structs.Dataset{ID: "d1", Name: "wdbc", ManifestHash: "mh", BlobHashes: []string{"b1", "b2"}}})
	a.mustApply(structs.ExperimentSubmitRequestType, &structs.ExperimentSubmitRequest{WriteRequest: audit("experiment_submit"),
		Experiment: structs.Experiment{ID: "e1", Name: "wdbc-mlp", SpecYAML: "name: wdbc-mlp\n", SpecHash: "sh",
			Spec: experiments.Spec{Name: "wdbc-mlp", MaxRestarts: 2, Model: experiments.ModelSpec{Architecture: "mlp", Hidden: []int{16}}}}})
	a.mustApply(structs.AttemptCreateRequestType, &structs.AttemptCreateRequest{
		Attempt: structs.Attempt{ID: "a1", ExperimentID: "e1", Ranks: []structs.Rank{{Rank: 0, NodeID: "n1", Address: "127.0.0.1:7000"}}}})
	a.mustApply(structs.ExperimentProgressRequestType, &structs.ExperimentProgressRequest{ExperimentID: "e1",
		Progress: structs.Progress{AttemptID: "a1", Step: 5, Loss: 0.5, SamplesPerSec: 100, Metrics: map[string]float64{"val_auroc": 0.9}}})
	a.mustApply(structs.CheckpointCommitRequestType, &structs.CheckpointCommitRequest{WriteRequest: audit("checkpoint_commit"),
		Checkpoint: structs.Checkpoint{ID: "c1", ExperimentID: "e1", AttemptID: "a1", Step: 5, ManifestHash: "cm",
			BlobHashes: []string{"x"}, Metrics: map[string]float64{"loss": 0.5}, WorldSize: 1}})
	a.mustApply(structs.CheckpointFlagRequestType, &structs.CheckpointFlagRequest{CheckpointID: "c1", Pinned: &yes})
	for range 2 {
		a.mustApply(structs.ModelReleaseRequestType, &structs.ModelReleaseRequest{WriteRequest: audit("model_release"),
			Version: structs.ModelVersion{Name: "wdbc", Version: a.f.State().NextModelVersion("wdbc"), ExperimentID: "e1", CheckpointID: "c1",
				ONNXSHA256: "o", CardSHA256: "c", StatementSHA256: "s", SignatureSHA256: "g", Approver: "dr-a", ApproverKey: "k",
				Metrics: map[string]float64{"auroc": 0.97}}})
	}
	a.mustApply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{WriteRequest: audit("node_register"),
		Node: structs.Node{ID: "n2", Name: "w2", Address: "127.0.0.1:7001", Devices: []structs.Device{
			{ID: "g0", Kind: "gpu", Health: structs.DeviceHealthy}, {ID: "g1", Kind: "gpu", Health: structs.DeviceDegraded, Reasons: []string{"hot"}}}}})
	a.mustApply(structs.DeviceUnhealthyRequestType, &structs.DeviceUnhealthyRequest{WriteRequest: audit("device_cordon"),
		NodeID: "n2", DeviceID: "g0", Reasons: []string{"xid 79"}, FaultSince: 1})
	a.mustApply(structs.ModelRevokeRequestType, &structs.ModelRevokeRequest{WriteRequest: audit("model_revoke"), Name: "wdbc", Version: 1, Reason: "r"})
	for _, id := range []string{"al1", "al2"} {
		a.mustApply(structs.AlertRecordRequestType, &structs.AlertRecordRequest{WriteRequest: audit("alert_record"),
			Alert: structs.Alert{ID: id, Kind: structs.AlertCheckpointRefused, ExperimentID: "e1", AttemptID: "a1", Step: 5,
				CheckpointID: "c1", ManifestHash: "cm", BlobHash: "x", Reason: "blob x: blob corrupt", ReportedBy: "acc-2"}})
	}
	a.mustApply(structs.AlertAckRequestType, &structs.AlertAckRequest{WriteRequest: audit("alert_ack"), AlertID: "al1", AckedBy: "acc-1"})
	a.mustApply(structs.ProjectUpsertRequestType, &structs.ProjectUpsertRequest{WriteRequest: audit("project_set"),
		Project: structs.Project{Name: "radiology", Members: []string{"acc-2"}, Quota: map[string]int{"gpu": 8},
			BorrowLimit: map[string]int{"gpu": 4}, Weight: 2}})
	a.mustApply(structs.PriorityClassUpsertRequestType, &structs.PriorityClassUpsertRequest{WriteRequest: audit("priority_class_set"),
		Class: structs.PriorityClass{Name: "overnight", Value: 5, Roles: []string{structs.RoleResearcher}}})
	a.mustApply(structs.AttemptStopRequestType, &structs.AttemptStopRequest{WriteRequest: audit("attempt_preempt"), AttemptID: "a1",
		Stop: structs.StopRequest{Reason: structs.StopPreempt, Detail: "for e2", For: "e2", RequestedAt: 1, Deadline: 2}})
	return a
}

func roundTrip(t *testing.T, f *FSM) *FSM {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	store := raft.NewInmemSnapshotStore()
	sink, err := store.Create(raft.SnapshotVersionMax, 10, 1, raft.Configuration{}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	metas, err := store.List()
	if err != nil || len(metas) != 1 {
		t.Fatalf("snapshots: %v %v", metas, err)
	}
	_, rc, err := store.Open(metas[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	g := New(nil)
	if err := g.Restore(rc); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSnapshotRoundTripPerRecordType(t *testing.T) {
	a := populate(t)
	g := roundTrip(t, a.f)
	src, dst := a.f.State(), g.State()
	tables := []struct {
		name string
		get  func(s *state.Store) any
		n    int
	}{
		{"nodes", func(s *state.Store) any { return s.Nodes() }, 2},
		{"experiments", func(s *state.Store) any { return s.Experiments() }, 1},
		{"attempts", func(s *state.Store) any { return s.Attempts("") }, 1},
		{"checkpoints", func(s *state.Store) any { return s.Checkpoints("") }, 1},
		{"datasets", func(s *state.Store) any { return s.Datasets() }, 1},
		{"acl tokens", func(s *state.Store) any { return s.Tokens() }, 2},
		{"server members", func(s *state.Store) any { return s.Members() }, 1},
		{"model versions", func(s *state.Store) any { return s.AllModelVersions() }, 2},
		{"alerts", func(s *state.Store) any { return s.Alerts("") }, 2},
		{"projects", func(s *state.Store) any { return s.Projects() }, 2},
		{"priority classes", func(s *state.Store) any { return s.PriorityClasses() }, 4},
		{"audit", func(s *state.Store) any { return s.Audit(0, 0) }, 18},
		{"latest index", func(s *state.Store) any { return s.LatestIndex() }, -1},
		{"acl bootstrap", func(s *state.Store) any { return s.ACLBootstrapIndex() }, -1},
	}
	for _, tc := range tables {
		t.Run(tc.name, func(t *testing.T) {
			want, got := tc.get(src), tc.get(dst)
			if tc.n >= 0 && reflect.ValueOf(want).Len() != tc.n {
				t.Fatalf("source has %d %s, populate wrote %d", reflect.ValueOf(want).Len(), tc.name, tc.n)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("after restore:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	// The restored store keeps working: the secret index and the ledger are usable.
	if tok, err := dst.TokenBySecretHash(structs.HashSecret("s2")); err != nil || tok.AccessorID != "acc-2" {
		t.Fatalf("token lookup after restore: %v %v", tok, err)
	}
	// c1 is pinned and was refused by a resume (the checkpoint_refused alerts name it):
	// both survive the snapshot, and a refused checkpoint is never latest.
	if c, err := dst.Checkpoint("c1"); err != nil || !c.Pinned || c.Refused == nil || c.Refused.AlertID != "al1" {
		t.Fatalf("checkpoint c1 after restore: %+v %v", c, err)
	}
	if c, err := dst.LatestCheckpoint("e1"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("latest after restore is %+v (%v), want none: c1 is refused", c, err)
	}
	if n, err := dst.Node("n2"); err != nil || !n.Devices[0].Cordoned || n.Devices[1].Reasons[0] != "hot" {
		t.Fatalf("devices after restore: %+v %v", n, err)
	}
	if m, err := dst.ModelVersion("wdbc", 1); err != nil || !m.Revoked || dst.NextModelVersion("wdbc") != 3 {
		t.Fatalf("model registry after restore: %+v %v", m, err)
	}
	if al, err := dst.Alert("al1"); err != nil || al.Open() || al.AckedBy != "acc-1" || dst.OpenAlerts() != 1 {
		t.Fatalf("alerts after restore: %+v %v, %d open", al, err, dst.OpenAlerts())
	}
}

func TestApplyReturnsErrorsAndAuditsOutcome(t *testing.T) {
	a := populate(t)
	resp := a.apply(structs.ExperimentCancelRequestType, &structs.ExperimentCancelRequest{WriteRequest: audit("experiment_cancel"), ExperimentID: "nope"})
	err, _ := resp.(error)
	if !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("cancel unknown: response %v", resp)
	}
	entries := a.f.State().Audit(0, 0)
	last := entries[len(entries)-1]
	if last.Action != "experiment_cancel" || last.Outcome != structs.OutcomeError || last.Index != a.index || last.Error == "" {
		t.Fatalf("audit of failed write: %+v", last)
	}
}

func TestUnknownMessageTypes(t *testing.T) {
	f := New(nil)
	ignorable := []byte{byte(structs.IgnoreUnknownTypeFlag | 0x7f), '{', '}'}
	if resp := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: ignorable}); resp != nil {
		t.Fatalf("ignorable type: %v", resp)
	}
	if f.State().LatestIndex() != 1 {
		t.Fatalf("skipped entry did not advance index")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("unknown non-ignorable type did not panic")
		}
	}()
	f.Apply(&raft.Log{Index: 2, Type: raft.LogCommand, Data: []byte{0x7f, '{', '}'}})
}

func TestRestoreRejectsGarbage(t *testing.T) {
	tests := map[string]string{
		"bad json":     "{not json",
		"unknown kind": `{"kind":"widget","value":{}}` + "\n",
		"bad value":    `{"kind":"node","value":"str"}` + "\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			f := New(nil)
			if err := f.Restore(nopCloser{stringsReader(in)}); err == nil {
				t.Fatal("restore accepted garbage")
			}
		})
	}
}
