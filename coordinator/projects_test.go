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

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

func withScheduling(name, extra string, min int) string {
	return string(specYAML(name, min, min, 0)) + extra
}

// Every refusal of issue 17's bad input names what and where, with the right status,
// and leaves the Raft log as it was.
func TestSchedulingRefusals(t *testing.T) {
	r := startRunning(t, "busy", runningSetup{nodes: []string{"node-001", "node-002"}})
	leader, tk := r.servers[0], r.tk
	ctx := t.Context()
	admin, researcher := tk.secrets[0], tk.secrets[1]
	if _, err := tk.admin.SetProject(ctx, "radiology", structs.ProjectSetRequest{Quota: map[string]int{"cpu": 1}, BorrowLimit: map[string]int{"cpu": 0}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, token, body string
		status                          int
		inError, field                  string
	}{
		{"unknown project", "POST", "/v1/experiments", researcher, withScheduling("x", "project: ghost\n", 1), 400, `no project is named "ghost" (projects: default, radiology)`, "project"},
		{"not a member", "POST", "/v1/experiments", researcher, withScheduling("x", "project: radiology\n", 1), 403, "not a member of project radiology", ""},
		{"unknown priority class", "POST", "/v1/experiments", researcher, withScheduling("x", "priority: asap\n", 1), 400, `no priority class is named "asap" (classes: urgent, normal, batch)`, "priority"},
		{"class the role may not use", "POST", "/v1/experiments", researcher, withScheduling("x", "priority: urgent\n", 1), 403, "may be used by role admin only", ""},
		{"gang larger than the cluster", "POST", "/v1/experiments", researcher, withScheduling("x", "", 3), 400, "the whole cluster can host at most 2", "workers.min"},
		{"gang larger than the project's limit", "POST", "/v1/experiments", admin, withScheduling("x", "project: radiology\n", 2), 400, "project radiology may hold at most 1", "workers.min"},
		{"malformed time limit", "POST", "/v1/experiments", researcher, withScheduling("x", "time_limit: soon\n", 1), 400, "positive duration", "time_limit"},
		{"project: negative quota", "PUT", "/v1/projects/p1", admin, `{"quota":{"gpu":-1}}`, 400, "negative", "quota.gpu"},
		{"project: unknown device kind", "PUT", "/v1/projects/p1", admin, `{"quota":{"tpu":1}}`, 400, "tpu", "quota"},
		{"project: weight out of range", "PUT", "/v1/projects/p1", admin, `{"weight":-2}`, 400, "weight", "weight"},
		{"project: unknown member", "PUT", "/v1/projects/p1", admin, `{"members":["nobody"]}`, 400, "nobody", "members[0]"},
		{"project: bad name", "PUT", "/v1/projects/Bad_Name", admin, `{}`, 400, "DNS label", "name"},
		{"project: researcher may not set", "PUT", "/v1/projects/p1", researcher, `{}`, 403, "admin", ""},
		{"project: delete unknown", "DELETE", "/v1/projects/ghost", admin, ``, 404, "ghost", ""},
		{"priority class: bad role", "PUT", "/v1/priority-classes/overnight", admin, `{"value":1,"roles":["chef"]}`, 400, "chef", "roles[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := leader.Raft().LastIndex()
			req, _ := http.NewRequestWithContext(ctx, tc.method, "http://"+leader.HTTPAddr()+tc.path, bytes.NewBufferString(tc.body))
			req.Header.Set(structs.HeaderToken, tc.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e structs.ErrorResponse
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("error body is not JSON: %v", err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(e.Error, tc.inError) || e.Field != tc.field {
				t.Fatalf("got %d %+v, want %d with %q in error and field %q", resp.StatusCode, e, tc.status, tc.inError, tc.field)
			}
			if after := leader.Raft().LastIndex(); after != before {
				t.Fatalf("a refused request moved the raft log %d → %d", before, after)
			}
		})
	}
	// A researcher cancels only in its projects.
	sub, err := tk.admin.SubmitExperiment(ctx, []byte(withScheduling("theirs", "project: radiology\n", 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.researcher.CancelExperiment(ctx, sub.ID); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("a non-member cancelled a radiology run: %v", err)
	}
}

// Lowering a quota below what a project holds is accepted and said: it takes
// effect as runs end, and the running attempt keeps running.
func TestQuotaBelowUseTakesEffectAsRunsEnd(t *testing.T) {
	r := startRunning(t, "holder", runningSetup{})
	resp, err := r.tk.admin.SetProject(t.Context(), structs.DefaultProject, structs.ProjectSetRequest{Quota: map[string]int{"cpu": 0}, BorrowLimit: map[string]int{"cpu": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Notes) != 1 || !strings.Contains(resp.Notes[0], "quota cpu 0 is below the 1") || !strings.Contains(resp.Notes[0], "takes effect as they end") {
		t.Fatalf("notes %q, want the quota below use", resp.Notes)
	}
	ps, err := r.tk.researcher.Project(t.Context(), structs.DefaultProject)
	if err != nil || ps.InUse["cpu"] != 1 || ps.Running != 1 || len(ps.Notes) != 1 {
		t.Fatalf("project status %+v (%v)", ps, err)
	}
	if a, err := r.tk.researcher.Attempts(t.Context(), r.sub.ID); err != nil || a[0].Status != structs.AttemptRunning {
		t.Fatalf("the running attempt was touched: %+v %v", a, err)
	}
	// A second run in the project waits, and the queue says why.
	sub, err := r.tk.researcher.SubmitExperiment(t.Context(), specYAML("waits", 1, 1, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "the queue to explain the wait", func() (bool, string) {
		q, err := r.tk.researcher.Queue(t.Context())
		if err != nil || len(q.Entries) != 1 {
			return false, fmt.Sprint(q, err)
		}
		e := q.Entries[0]
		return e.ExperimentID == sub.ID && e.Position == 1 && strings.Contains(e.Reason, "quota"), e.Reason
	})
}

// A run past its time limit is asked to checkpoint and stop; with no agent to do
// it, the leader stops it at the deadline and the experiment ends timed_out, with
// both decisions in the audit log.
func TestTimeLimitStopsTheRun(t *testing.T) {
	r := startRunning(t, "bounded", runningSetup{tweak: func(c *Config) { c.PreemptionTimeout = 300 * time.Millisecond }})
	if _, err := r.tk.researcher.CancelExperiment(t.Context(), r.sub.ID); err != nil {
		t.Fatal(err)
	}
	sub, err := r.tk.researcher.SubmitExperiment(t.Context(), []byte(withScheduling("limited", "time_limit: 500ms\n", 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 15*time.Second, "the limited run to time out", func() (bool, string) {
		e, err := r.tk.researcher.Experiment(t.Context(), sub.ID)
		if err != nil {
			return false, err.Error()
		}
		return e.Status == structs.ExperimentTimedOut, e.Status + " " + e.StatusReason
	})
	as, err := r.tk.researcher.Attempts(t.Context(), sub.ID)
	if err != nil || len(as) != 1 || as[0].Status != structs.AttemptStopped || as[0].Stop == nil || as[0].Stop.Reason != structs.StopTimeLimit {
		t.Fatalf("attempts %+v (%v)", as, err)
	}
	audit, err := r.tk.admin.Audit(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		if a.Target == as[0].ID {
			actions = append(actions, a.Action+":"+a.Reason)
		}
	}
	if len(actions) != 2 || !strings.HasPrefix(actions[0], "attempt_time_limit:ran past its time limit of 500ms") || !strings.HasPrefix(actions[1], "attempt_stop_deadline") {
		t.Fatalf("audit of the attempt: %q", actions)
	}
}
