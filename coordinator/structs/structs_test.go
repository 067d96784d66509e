package structs

import (
	"errors"
	"reflect"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := &CheckpointCommitRequest{
		WriteRequest: WriteRequest{Timestamp: 42, Audit: &AuditEntry{Actor: "a", Action: "checkpoint_commit"}},
		Checkpoint:   Checkpoint{ID: "c", BlobHashes: []string{"x"}, Metrics: map[string]float64{"loss": 0.25}},
	}
	data, err := Encode(CheckpointCommitRequestType, in)
	if err != nil {
		t.Fatal(err)
	}
	if MessageType(data[0]) != CheckpointCommitRequestType {
		t.Fatalf("type byte %d", data[0])
	}
	var out CheckpointCommitRequest
	if err := Decode(data[1:], &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, *in)
	}
	if err := Decode([]byte("{"), &out); err == nil {
		t.Fatal("decoded garbage")
	}
}

// Message type values are wire format: they must never change.
func TestMessageTypesAreStable(t *testing.T) {
	want := map[MessageType]uint8{
		NodeRegisterRequestType: 0, ExperimentSubmitRequestType: 4, AttemptCreateRequestType: 7,
		CheckpointCommitRequestType: 9, ACLBootstrapRequestType: 10, ServerMemberUpsertRequestType: 13,
		CheckpointFlagRequestType: 15, CheckpointDeleteRequestType: 20, AlertRecordRequestType: 21, AlertAckRequestType: 22,
	}
	for mt, v := range want {
		if uint8(mt) != v {
			t.Errorf("%s = %d, want %d", mt, uint8(mt), v)
		}
		if mt&IgnoreUnknownTypeFlag != 0 {
			t.Errorf("%s has the ignore flag", mt)
		}
	}
}

func TestErrorsAndRoles(t *testing.T) {
	err := Invalid("workers.max", "too small")
	if !errors.Is(err, ErrInvalid) || err.Error() != "workers.max: too small" {
		t.Fatalf("field error: %v", err)
	}
	tok := &ACLToken{Roles: []string{RoleResearcher}}
	if !tok.HasRole(RoleResearcher, RoleValidator) || tok.HasRole(RoleAgent) {
		t.Fatal("role check")
	}
	admin := &ACLToken{Roles: []string{RoleAdmin}}
	if !admin.HasRole(RoleAgent) {
		t.Fatal("admin lacks a role")
	}
	if h := HashSecret("s"); len(h) != 64 || h == HashSecret("t") {
		t.Fatalf("hash %q", h)
	}
}
