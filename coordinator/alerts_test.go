package coordinator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// An agent records an alert (through a follower, which forwards it); researchers,
// validators and admins read it, filtered by experiment; the agent and trust roles
// cannot read and only agents and admins write; a validator acknowledges it; the
// write is audited in the agent's name and the open count in /v1/status follows.
func TestAlertsRecordReadAck(t *testing.T) {
	r := startRunning(t, "alerted", runningSetup{servers: 3})
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	leader := WaitForLeader(t, servers...)
	ctx := t.Context()
	other, err := tk.researcher.SubmitExperiment(ctx, specYAML("quiet", 1, 1, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID, Step: 10,
		ManifestHash: hash("m"), BlobHashes: []string{hash("params"), hash("optimizer")}, WorldSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	var follower *Server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	viaFollower, err := client.New([]string{follower.HTTPAddr()}, tk.secrets[4]) // the agent's token
	if err != nil {
		t.Fatal(err)
	}
	reason := fmt.Sprintf("load checkpoint %s: params blob: blob %s (key blobs/x): blob corrupt: content hashes to %s (9 bytes)",
		hash("m"), hash("params"), hash("garbage"))
	args := structs.AlertRecordArgs{Kind: structs.AlertCheckpointRefused, ExperimentID: sub.ID, AttemptID: att.ID, Step: 10,
		CheckpointID: cp.ID, ManifestHash: hash("m"), BlobHash: hash("params"), Reason: reason}

	writers := map[string]*client.Client{"agent via follower": viaFollower, "admin": tk.admin}
	var ids []string
	byWriter := map[string]string{} // alert ID → writer
	for name, c := range writers {
		t.Run("write/"+name, func(t *testing.T) {
			before := time.Now().UnixNano()
			resp, err := c.RecordAlert(ctx, args)
			if err != nil {
				t.Fatalf("record alert: %v", err)
			}
			got, err := tk.validator.Alert(ctx, resp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != args.Kind || got.BlobHash != args.BlobHash || got.CheckpointID != cp.ID || got.Reason != reason ||
				got.Step != 10 || got.AttemptID != att.ID || !got.Open() || got.CreateIndex != resp.Index || got.ReportedBy == "" {
				t.Fatalf("stored alert %+v does not match what was recorded at index %d", got, resp.Index)
			}
			if got.Time < before || got.Time > time.Now().UnixNano() {
				t.Fatalf("alert time %d is not the leader's time of the write", got.Time)
			}
			ids = append(ids, resp.ID)
			byWriter[resp.ID] = name
		})
	}
	for _, name := range []string{"researcher", "validator", "trust"} {
		t.Run("write refused/"+name, func(t *testing.T) {
			c := map[string]*client.Client{"researcher": tk.researcher, "validator": tk.validator, "trust": tk.trust}[name]
			if _, err := c.RecordAlert(ctx, args); !errors.Is(err, structs.ErrPermissionDenied) {
				t.Fatalf("%s recorded an alert: %v", name, err)
			}
		})
	}
	readers := map[string]*client.Client{"researcher": tk.researcher, "validator": tk.validator, "admin": tk.admin}
	for name, c := range readers {
		t.Run("read/"+name, func(t *testing.T) {
			all, err := c.Alerts(ctx, sub.ID, false)
			if err != nil || len(all) != 2 {
				t.Fatalf("alerts of %s: %d (%v), want 2", sub.ID, len(all), err)
			}
			none, err := c.Alerts(ctx, other.ID, false)
			if err != nil || len(none) != 0 {
				t.Fatalf("alerts of the quiet experiment: %+v (%v), want none", none, err)
			}
			if _, err := c.Alerts(ctx, "ghost", false); !errors.Is(err, structs.ErrNotFound) {
				t.Fatalf("alerts of an unknown experiment: %v, want not found", err)
			}
		})
	}
	for name, c := range map[string]*client.Client{"agent": tk.agent, "trust": tk.trust, "no token": tk.anon} {
		t.Run("read refused/"+name, func(t *testing.T) {
			if _, err := c.Alerts(ctx, "", false); !errors.Is(err, structs.ErrPermissionDenied) && !errors.Is(err, structs.ErrUnauthenticated) {
				t.Fatalf("%s read alerts: %v", name, err)
			}
		})
	}
	if t.Failed() {
		return
	}

	// The audit and the alert name the writer's token as the actor.
	actors := map[string]string{}
	for name, c := range map[string]*client.Client{"agent via follower": tk.agent, "admin": tk.admin} {
		self, err := c.TokenSelf(ctx)
		if err != nil {
			t.Fatal(err)
		}
		actors[name] = self.AccessorID
	}
	entries, err := tk.admin.Audit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range entries {
		writer, ok := byWriter[e.Target]
		if e.Action != "alert_record" || !ok {
			continue
		}
		audited++
		if e.Outcome != structs.OutcomeOK || e.Actor != actors[writer] {
			t.Fatalf("audit entry %+v, want ok by %s (%s)", e, writer, actors[writer])
		}
		if al, err := tk.admin.Alert(ctx, e.Target); err != nil || al.ReportedBy != actors[writer] {
			t.Fatalf("alert %s reported by %q (%v), want %s", e.Target, al.ReportedBy, err, actors[writer])
		}
	}
	if audited != 2 {
		t.Fatalf("%d alert_record audit entries for %v, want 2", audited, ids)
	}

	// Acknowledging: validators may, researchers and agents may not, and only once.
	if _, err := tk.researcher.AckAlert(ctx, ids[0]); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("researcher acknowledged: %v", err)
	}
	if _, err := tk.agent.AckAlert(ctx, ids[0]); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("agent acknowledged: %v", err)
	}
	if _, err := tk.validator.AckAlert(ctx, ids[0]); err != nil {
		t.Fatalf("validator acknowledge: %v", err)
	}
	if _, err := tk.admin.AckAlert(ctx, ids[0]); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second acknowledgement: %v, want conflict", err)
	}
	open, err := tk.researcher.Alerts(ctx, sub.ID, true)
	if err != nil || len(open) != 1 || open[0].ID != ids[1] {
		t.Fatalf("open alerts %+v (%v), want only %s", open, err, ids[1])
	}
	testutil.WaitFor(t, 5*time.Second, "every server to count one open alert", func() (bool, string) {
		for _, s := range servers {
			c, _ := client.New([]string{s.HTTPAddr()}, tk.secrets[1])
			st, err := c.Status(ctx)
			if err != nil || st.OpenAlerts != 1 {
				return false, fmt.Sprintf("%s: %d open (%v)", s.ID(), st.OpenAlerts, err)
			}
		}
		return true, ""
	})
}

// Bad alerts get a 4xx naming the field and leave the Raft log as it was.
func TestBadAlertsChangeNothing(t *testing.T) {
	r := startRunning(t, "bad-alerts", runningSetup{})
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	ctx := t.Context()
	other, err := tk.researcher.SubmitExperiment(ctx, specYAML("other", 1, 1, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	body := func(mut func(a *structs.AlertRecordArgs)) string {
		a := structs.AlertRecordArgs{Kind: structs.AlertCheckpointRefused, ExperimentID: sub.ID, AttemptID: att.ID,
			Step: 3, ManifestHash: hash("m"), BlobHash: hash("b"), Reason: "blob corrupt"}
		mut(&a)
		b, _ := json.Marshal(a)
		return string(b)
	}
	agent := tk.secrets[4]
	tests := []struct {
		name, body   string
		status       int
		inError, fld string
	}{
		{"unknown kind", body(func(a *structs.AlertRecordArgs) { a.Kind = "disk_full" }), 400, "disk_full", "kind"},
		{"bad blob hash", body(func(a *structs.AlertRecordArgs) { a.BlobHash = "zz" }), 400, "SHA-256", "blob_hash"},
		{"bad manifest hash", body(func(a *structs.AlertRecordArgs) { a.ManifestHash = strings.Repeat("A", 64) }), 400, "lower-case", "manifest_hash"},
		{"no reason", body(func(a *structs.AlertRecordArgs) { a.Reason = "" }), 400, "required", "reason"},
		{"huge reason", body(func(a *structs.AlertRecordArgs) { a.Reason = strings.Repeat("x", structs.MaxAlertReasonBytes+1) }), 400, "limit", "reason"},
		{"negative step", body(func(a *structs.AlertRecordArgs) { a.Step = -1 }), 400, "negative", "step"},
		{"no experiment", body(func(a *structs.AlertRecordArgs) { a.ExperimentID = "" }), 400, "required", "experiment_id"},
		{"bad checkpoint id", body(func(a *structs.AlertRecordArgs) { a.CheckpointID = "a/b" }), 400, "character", "checkpoint_id"},
		{"unknown experiment", body(func(a *structs.AlertRecordArgs) { a.ExperimentID = "ghost" }), 404, "ghost", ""},
		{"unknown attempt", body(func(a *structs.AlertRecordArgs) { a.AttemptID = "ghost" }), 404, "ghost", ""},
		{"attempt of another experiment", body(func(a *structs.AlertRecordArgs) { a.ExperimentID = other.ID }), 400, "belongs", "attempt_id"},
		{"unknown field", `{"kind":"checkpoint_refused","severity":"high"}`, 400, "severity", "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := servers[0].Raft().LastIndex()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+servers[0].HTTPAddr()+"/v1/alerts", bytes.NewBufferString(tc.body))
			req.Header.Set(structs.HeaderToken, agent)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e structs.ErrorResponse
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("error body is not JSON: %v", err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(e.Error, tc.inError) || e.Field != tc.fld {
				t.Fatalf("got %d %+v, want %d with %q in the error and field %q", resp.StatusCode, e, tc.status, tc.inError, tc.fld)
			}
			if after := servers[0].Raft().LastIndex(); after != before {
				t.Fatalf("bad alert moved the raft log %d → %d", before, after)
			}
		})
	}
	if all, err := tk.admin.Alerts(ctx, "", false); err != nil || len(all) != 0 {
		t.Fatalf("alerts after bad requests: %+v (%v)", all, err)
	}
}
