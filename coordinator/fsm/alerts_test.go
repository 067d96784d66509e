package fsm

import (
	"errors"
	"reflect"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Alerts are applied with the leader's time, refused when they name what does not
// exist, acknowledged once, audited with their outcome, and a second FSM fed the same
// log (or restored from a snapshot) ends with the same alerts.
func TestApplyAlerts(t *testing.T) {
	a := populate(t)
	start := a.index
	refused := structs.Alert{Kind: structs.AlertCheckpointRefused, ExperimentID: "e1", AttemptID: "a1", Step: 5,
		CheckpointID: "c1", ManifestHash: "cm", BlobHash: "x", Reason: "load checkpoint cm: params blob: blob x: blob corrupt"}
	with := func(edit func(*structs.Alert)) structs.Alert {
		al := refused
		edit(&al)
		return al
	}
	tests := []struct {
		name  string
		mt    structs.MessageType
		req   any
		want  error // nil: applied
		field string
	}{
		{"record", structs.AlertRecordRequestType, &structs.AlertRecordRequest{WriteRequest: audit("alert_record"),
			Alert: with(func(al *structs.Alert) { al.ID = "new" })}, nil, ""},
		{"same id again", structs.AlertRecordRequestType, &structs.AlertRecordRequest{WriteRequest: audit("alert_record"),
			Alert: with(func(al *structs.Alert) { al.ID = "new" })}, structs.ErrConflict, ""},
		{"no id", structs.AlertRecordRequestType, &structs.AlertRecordRequest{Alert: refused}, structs.ErrInvalid, "alert.id"},
		{"unknown kind", structs.AlertRecordRequestType, &structs.AlertRecordRequest{
			Alert: with(func(al *structs.Alert) { al.ID, al.Kind = "k", "disk_full" })}, structs.ErrInvalid, "alert.kind"},
		{"unknown experiment", structs.AlertRecordRequestType, &structs.AlertRecordRequest{
			Alert: with(func(al *structs.Alert) { al.ID, al.ExperimentID = "e", "nope" })}, structs.ErrNotFound, ""},
		{"unknown attempt", structs.AlertRecordRequestType, &structs.AlertRecordRequest{
			Alert: with(func(al *structs.Alert) { al.ID, al.AttemptID = "a", "nope" })}, structs.ErrNotFound, ""},
		{"ack", structs.AlertAckRequestType, &structs.AlertAckRequest{WriteRequest: audit("alert_ack"), AlertID: "new", AckedBy: "acc-1"}, nil, ""},
		{"ack twice", structs.AlertAckRequestType, &structs.AlertAckRequest{WriteRequest: audit("alert_ack"), AlertID: "new", AckedBy: "acc-1"}, structs.ErrConflict, ""},
		{"ack unknown", structs.AlertAckRequestType, &structs.AlertAckRequest{AlertID: "nope", AckedBy: "acc-1"}, structs.ErrNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := a.apply(tc.mt, tc.req)
			err, _ := resp.(error)
			if tc.want == nil && resp != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("response %v, want %v", resp, tc.want)
			}
			var fe *structs.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Fatalf("error %v does not name field %s", err, tc.field)
			}
		})
	}

	st := a.f.State()
	got, err := st.Alert("new")
	if err != nil {
		t.Fatal(err)
	}
	want := with(func(al *structs.Alert) {
		al.ID, al.Time = "new", 1700000000000000000
		al.AckedAt, al.AckedBy = 1700000000000000000, "acc-1"
		al.CreateIndex, al.ModifyIndex = start+1, start+7
	})
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("alert after record and ack:\n got %+v\nwant %+v", *got, want)
	}
	if n := len(st.Alerts("e1")); n != 3 || len(st.Alerts("other")) != 0 || len(st.Alerts("")) != 3 {
		t.Fatalf("listing: %d alerts of e1, want 3 (two from populate)", n)
	}
	if st.OpenAlerts() != 1 { // al2 from populate
		t.Fatalf("%d open alerts, want 1", st.OpenAlerts())
	}
	var actions []string
	for _, e := range st.Audit(start, 0) {
		actions = append(actions, e.Action+":"+e.Outcome)
	}
	wantActions := []string{"alert_record:ok", "alert_record:error", "alert_ack:ok", "alert_ack:error"}
	if !reflect.DeepEqual(actions, wantActions) {
		t.Fatalf("audit %v, want %v", actions, wantActions)
	}

	g := roundTrip(t, a.f)
	if !reflect.DeepEqual(g.State().Alerts(""), st.Alerts("")) || g.State().OpenAlerts() != 1 {
		t.Fatalf("alerts after snapshot and restore:\n got %+v\nwant %+v", g.State().Alerts(""), st.Alerts(""))
	}
}

// The alerts listing is in commit order, whatever the IDs sort as.
func TestAlertsListInCommitOrder(t *testing.T) {
	a := populate(t)
	for _, id := range []string{"zz", "aa", "mm"} {
		a.mustApply(structs.AlertRecordRequestType, &structs.AlertRecordRequest{
			Alert: structs.Alert{ID: id, Kind: structs.AlertCheckpointRefused, ExperimentID: "e1", Reason: "r"}})
	}
	var ids []string
	for _, al := range a.f.State().Alerts("e1") {
		ids = append(ids, al.ID)
	}
	if want := []string{"al1", "al2", "zz", "aa", "mm"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}
}
