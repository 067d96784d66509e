package state

import (
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func TestMarkDeviceUnhealthy(t *testing.T) {
	ts := func(i uint64) structs.WriteRequest { return structs.WriteRequest{Timestamp: int64(i) * 100} }
	s, idx := fixture(t, 2)
	// a1 on n1 fails by itself after the fault began (a rank crashed on it), a2 is then
	// placed on n1 and n2, and the heartbeat reporting the fault arrives only now.
	mustCreateAttempt(t, s, idx, "a1", "n1")
	for i, step := range []int64{10, 20} {
		req := &structs.CheckpointCommitRequest{WriteRequest: ts(idx + 1 + uint64(i)), Checkpoint: structs.Checkpoint{
			ID: "c" + string(rune('1'+i)), ExperimentID: "e1", AttemptID: "a1", Step: step, ManifestHash: "m", WorldSize: 1}}
		if err := s.CommitCheckpoint(idx+1+uint64(i), req); err != nil {
			t.Fatal(err)
		}
	}
	idx += 3 // c1 at t=500, c2 at t=600
	if err := s.EndAttempt(idx, &structs.AttemptEndRequest{WriteRequest: ts(idx), AttemptID: "a1", Status: structs.AttemptFailed, Reason: "cuda error"}); err != nil {
		t.Fatal(err)
	}
	idx++
	mustCreateAttempt(t, s, idx, "a2", "n1", "n2")
	if a, _ := s.Attempt("a2"); a.ResumeFrom != "c2" {
		t.Fatalf("a2 resumes from %q", a.ResumeFrom)
	}
	idx++
	req := &structs.DeviceUnhealthyRequest{WriteRequest: ts(idx), NodeID: "n1", DeviceID: "cpu0", Reasons: []string{"xid 48", "dbe"}, FaultSince: 550}
	if err := s.MarkDeviceUnhealthy(idx, req); err != nil {
		t.Fatal(err)
	}
	n, _ := s.Node("n1")
	d := n.Devices[0]
	if !d.Cordoned || d.Health != structs.DeviceUnhealthy || d.CordonReason != "device cpu0 unhealthy: xid 48; dbe" || d.CordonedAt != int64(idx)*100 {
		t.Fatalf("device: %+v", d)
	}
	a2, _ := s.Attempt("a2")
	if a2.Status != structs.AttemptFailed || a2.EndReason != d.CordonReason {
		t.Fatalf("a2: %+v", a2)
	}
	for id, want := range map[string]bool{"c1": false, "c2": true} {
		if c, _ := s.Checkpoint(id); c.Suspect != want {
			t.Fatalf("%s suspect %v, want %v", id, c.Suspect, want)
		}
	}
	if c, err := s.LatestCheckpoint("e1"); err != nil || c.ID != "c1" {
		t.Fatalf("latest: %+v %v", c, err)
	}
	tests := []struct {
		name string
		req  structs.DeviceUnhealthyRequest
		want error
	}{
		{"already cordoned", structs.DeviceUnhealthyRequest{NodeID: "n1", DeviceID: "cpu0", FaultSince: 1}, structs.ErrConflict},
		{"unknown device", structs.DeviceUnhealthyRequest{NodeID: "n1", DeviceID: "g7", FaultSince: 1}, structs.ErrNotFound},
		{"unknown node", structs.DeviceUnhealthyRequest{NodeID: "n9", DeviceID: "cpu0", FaultSince: 1}, structs.ErrNotFound},
		{"no fault time", structs.DeviceUnhealthyRequest{NodeID: "n2", DeviceID: "cpu0"}, structs.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idx++
			if err := s.MarkDeviceUnhealthy(idx, &tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// Re-registering keeps the cordon; uncordon lifts it once.
	idx++
	if err := s.UpsertNode(idx, &structs.NodeRegisterRequest{Node: structs.Node{ID: "n1", Address: "n1:7000",
		Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Health: structs.DeviceHealthy}}}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Node("n1"); !n.Devices[0].Cordoned || n.UsableDevices("cpu") != 0 {
		t.Fatalf("re-registration lifted the cordon: %+v", n.Devices[0])
	}
	idx++
	if err := s.UncordonDevice(idx, &structs.DeviceUncordonRequest{NodeID: "n1", DeviceID: "cpu0"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Node("n1"); n.Devices[0].Cordoned || n.UsableDevices("cpu") != 1 {
		t.Fatalf("after uncordon: %+v", n.Devices[0])
	}
	if err := s.UncordonDevice(idx+1, &structs.DeviceUncordonRequest{NodeID: "n1", DeviceID: "cpu0"}); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second uncordon: %v", err)
	}
}
