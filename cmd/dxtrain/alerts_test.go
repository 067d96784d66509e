package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// TestAlertsLsAndAck runs `dxtrain alerts` against a real `dxtrain dev`: an agent
// token records a refused-checkpoint alert; researchers list it (table and JSON,
// filtered by experiment), agents may not; `status` counts it open until a validator
// acknowledges it.
func TestAlertsLsAndAck(t *testing.T) {
	c := startDev(t)
	researcher := c.token(t, "researcher", structs.RoleResearcher)
	validator := c.token(t, "validator", structs.RoleValidator)
	agent := c.token(t, "agent", structs.RoleAgent)
	id := strings.TrimSpace(c.must(t, researcher, "run", "experiments/wdbc-logreg.yaml", "--detach"))
	quiet := strings.TrimSpace(c.must(t, researcher, "run", "experiments/wdbc-logreg.yaml", "--detach"))
	for _, e := range []string{id, quiet} {
		// Nothing needs to train here; the logistic regression may already have
		// finished (it takes ~0.1 s), which is as good.
		if out, err := c.as(t, researcher, "experiments", "cancel", e); err != nil && !strings.Contains(out, "already succeeded") {
			t.Fatalf("dxtrain experiments cancel %s: %v\n%s", e, err, out)
		}
	}

	api := c.api(t, agent)
	blob, manifest := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	reason := "load checkpoint " + manifest + ": params blob: blob " + blob + ": blob corrupt: content hashes to " + strings.Repeat("ef", 32)
	rec, err := api.RecordAlert(t.Context(), structs.AlertRecordArgs{Kind: structs.AlertCheckpointRefused, ExperimentID: id,
		Step: 40, ManifestHash: manifest, BlobHash: blob, Reason: reason})
	if err != nil {
		t.Fatalf("record alert: %v", err)
	}

	tests := []struct {
		name    string
		token   string
		args    []string
		fails   bool
		want    []string
		notWant []string
	}{
		{"table", researcher, []string{"alerts", "ls", "--experiment", id}, false,
			[]string{"ID", "REASON", rec.ID, structs.AlertCheckpointRefused, blob[:16], "true", "blob corrupt"}, nil},
		{"all experiments", validator, []string{"alerts", "ls"}, false, []string{rec.ID}, nil},
		{"another experiment", researcher, []string{"alerts", "ls", "--experiment", quiet}, false, []string{"ID"}, []string{rec.ID}},
		{"unknown experiment", researcher, []string{"alerts", "ls", "--experiment", "ghost"}, true, []string{"404", "ghost"}, nil},
		{"agent may not read", agent, []string{"alerts", "ls"}, true, []string{"403", "lacks role"}, []string{rec.ID}},
		{"status counts it", researcher, []string{"status"}, false, []string{"open alerts 1"}, nil},
		{"the experiment shows it", researcher, []string{"experiments", "show", id}, false, []string{"ALERT", rec.ID, "blob corrupt"}, nil},
		{"and only its own", researcher, []string{"experiments", "show", quiet}, false, []string{"ATTEMPT"}, []string{rec.ID}},
		{"researcher may not acknowledge", researcher, []string{"alerts", "ack", rec.ID}, true, []string{"403"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.as(t, tc.token, tc.args...)
			if (err != nil) != tc.fails {
				t.Fatalf("dxtrain %s: error %v, want failure %v\n%s", strings.Join(tc.args, " "), err, tc.fails, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Fatalf("output has %q:\n%s", w, out)
				}
			}
		})
	}

	var listed []structs.Alert
	if err := json.Unmarshal([]byte(c.must(t, researcher, "alerts", "ls", "--experiment", id, "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != rec.ID || listed[0].BlobHash != blob || listed[0].ManifestHash != manifest ||
		listed[0].Step != 40 || listed[0].Reason != reason || !listed[0].Open() || listed[0].Time == 0 {
		t.Fatalf("alerts ls --json: %+v", listed)
	}

	if out := c.must(t, validator, "alerts", "ack", rec.ID); !strings.Contains(out, "acknowledged") {
		t.Fatalf("alerts ack:\n%s", out)
	}
	var open []structs.Alert
	if err := json.Unmarshal([]byte(c.must(t, researcher, "alerts", "ls", "--open", "--json")), &open); err != nil || len(open) != 0 {
		t.Fatalf("open alerts after the acknowledgement: %+v (%v)", open, err)
	}
	if out := c.must(t, researcher, "status"); !strings.Contains(out, "open alerts 0") {
		t.Fatalf("status after the acknowledgement:\n%s", out)
	}
}

func TestResumedFromNamesARefusal(t *testing.T) {
	a := structs.Attempt{ID: "attempt-2", ResumeFrom: "checkpoint-40"}
	alerts := []structs.Alert{
		{ID: "alert-other-attempt", Kind: structs.AlertCheckpointRefused, AttemptID: "attempt-3", CheckpointID: "checkpoint-40"},
		{ID: "alert-1234567890", Kind: structs.AlertCheckpointRefused, AttemptID: "attempt-2", CheckpointID: "checkpoint-40"},
	}
	if got, want := resumedFrom(a, alerts), "checkpoi (refused, fell back: alert alert-12)"; got != want {
		t.Fatalf("resumedFrom = %q, want %q", got, want)
	}
	if got := resumedFrom(a, alerts[:1]); got != "checkpoi" {
		t.Fatalf("another attempt's alert: resumedFrom = %q", got)
	}
	if got := resumedFrom(structs.Attempt{ID: "attempt-1"}, alerts); got != "" {
		t.Fatalf("fresh start: resumedFrom = %q", got)
	}
}
