package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// These tests damage a committed checkpoint, let a resume refuse it and fall back,
// and check that the validator's tools tell the exact story: the refused record is
// marked in ls and verify (even once a retrained checkpoint re-uploaded the bytes),
// replay --all replays every committed link and counts them, a step written twice is
// named by hash, and the attempt names where it really resumed from.

// refusalSpec is wdbc-mlp with a checkpoint every 10 steps that retention keeps.
func refusalSpec(t *testing.T, name string, edits ...[2]string) string {
	t.Helper()
	raw, err := os.ReadFile("../../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, r := range append([][2]string{{"name: wdbc-mlp\n", "name: " + name + "\n"}, {"keep_last: 3", "keep_last: 1000"},
		{"onnx: true", "onnx: false"}}, edits...) {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("experiments/wdbc-mlp.yaml no longer holds %q", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// damageNewest flips a byte of the newest committed checkpoint's first blob (its
// parameters) in a file store and returns that checkpoint.
func damageNewest(t *testing.T, storeDir string, cps []structs.Checkpoint) structs.Checkpoint {
	t.Helper()
	latest := cps[len(cps)-1]
	store, err := storage.NewFileStore(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(storeDir, filepath.FromSlash(storage.BlobKey(latest.BlobHashes[0])))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.VerifyBlob(t.Context(), store, latest.BlobHashes[0]); err == nil {
		t.Fatal("the damaged blob still verifies")
	}
	return latest
}

// checkRecordOfRefusal runs the validator's commands through run and checks what they
// say about an experiment whose checkpoint refused was refused by a resume.
func checkRecordOfRefusal(t *testing.T, run func(args ...string) (string, error), id string, refused structs.Checkpoint) {
	t.Helper()
	must := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("dxtrain %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	var cps []structs.Checkpoint
	if err := json.Unmarshal([]byte(must("checkpoints", "ls", id, "--json")), &cps); err != nil {
		t.Fatal(err)
	}
	var marked, retrained, parent structs.Checkpoint
	for _, c := range cps {
		switch {
		case c.ManifestHash == refused.ManifestHash:
			marked = c
		case c.Step == refused.Step:
			retrained = c
		case c.Step < refused.Step:
			parent = c // the newest sound checkpoint before the refused one: where the resume went
		}
	}
	if marked.Refused == nil || marked.Refused.Reason == "" || retrained.ManifestHash == "" || parent.ManifestHash == "" {
		t.Fatalf("ledger %+v\nwant the checkpoint at step %d marked refused, retrained at the same step, after step %d", cps, refused.Step, parent.Step)
	}
	if table := must("checkpoints", "ls", id); strings.Count(table, "REFUSED") != 2 { // the header and one record
		t.Fatalf("checkpoints ls marks %d records refused, want 1:\n%s", strings.Count(table, "REFUSED")-1, table)
	}
	out, err := run("checkpoints", "verify", id)
	if err == nil || !strings.Contains(out, fmt.Sprintf("step %d (%.12s): REFUSED by a resume", refused.Step, refused.ManifestHash)) ||
		!strings.Contains(out, "its blobs verify now") || strings.Contains(out, "FAILED") {
		t.Fatalf("verify: err %v, want the refusal reported although the retrained checkpoint repaired the bytes:\n%s", err, out)
	}

	// Every committed checkpoint but the first descends from a committed one.
	var reports []loop.ReplayReport
	if err := json.Unmarshal([]byte(must("checkpoints", "replay", id, "--all", "--json")), &reports); err != nil {
		t.Fatal(err)
	}
	if len(reports) != len(cps)-1 {
		t.Fatalf("replay --all replayed %d links of a ledger of %d checkpoints, want %d", len(reports), len(cps), len(cps)-1)
	}
	replayed := map[string]bool{}
	for _, r := range reports {
		if !r.Identical {
			t.Fatalf("link %d → %d (%.12s) is not bit-identical: %+v", r.FromStep, r.ToStep, r.ToSHA, r.Difference)
		}
		replayed[r.ToSHA] = true
	}
	if !replayed[refused.ManifestHash] || !replayed[retrained.ManifestHash] {
		t.Fatalf("replay --all skipped a record at step %d: %v", refused.Step, replayed)
	}
	n := len(cps) - 1
	if out := must("checkpoints", "replay", id, "--all"); !strings.Contains(out, fmt.Sprintf("%d of %d links bit-identical", n, n)) {
		t.Fatalf("replay --all does not count its links:\n%s", out)
	}

	out, err = run("checkpoints", "replay", id, "--from", fmt.Sprint(refused.Step), "--to", fmt.Sprint(cps[len(cps)-1].Step))
	if err == nil || !strings.Contains(out, refused.ManifestHash[:12]) || !strings.Contains(out, retrained.ManifestHash[:12]) {
		t.Fatalf("--from an ambiguous step: err %v, want both candidates named:\n%s", err, out)
	}
	for _, to := range []structs.Checkpoint{retrained, refused} {
		var rep loop.ReplayReport
		out := must("checkpoints", "replay", id, "--from", parent.ManifestHash[:12], "--to", to.ManifestHash[:16], "--json")
		if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.Identical || rep.ToSHA != to.ManifestHash || rep.FromSHA != parent.ManifestHash {
			t.Fatalf("replay by hash %.12s → %.12s: %v %+v", parent.ManifestHash, to.ManifestHash, err, rep)
		}
	}
}

// TestRefusedCheckpointOnTheRecordOfATrainRun: `dxtrain train`, a damaged final
// checkpoint, `dxtrain train --resume`, then the validator's tools with --store alone.
func TestRefusedCheckpointOnTheRecordOfATrainRun(t *testing.T) {
	spec := refusalSpec(t, "wdbc-mlp-refusal", [2]string{"epochs: 60", "epochs: 12"}, [2]string{"every_steps: 50", "every_steps: 20"})
	dataDir := t.TempDir()
	storeURL := "file://" + filepath.Join(dataDir, "store")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Dir = "../.."
		for _, kv := range os.Environ() { // no coordinator: the store alone
			if !strings.HasPrefix(kv, "DXTRAIN_ADDR=") && !strings.HasPrefix(kv, "DXTRAIN_STORE=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if args[0] == "checkpoints" {
			cmd.Args = append(cmd.Args, "--store", storeURL)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("train", spec, "--data-dir", dataDir); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	var cps []structs.Checkpoint
	out, err := run("checkpoints", "ls", "wdbc-mlp-refusal", "--json")
	if err != nil || json.Unmarshal([]byte(out), &cps) != nil || len(cps) < 3 {
		t.Fatalf("checkpoints ls --store: %v, %d checkpoints\n%s", err, len(cps), out)
	}
	refused := damageNewest(t, filepath.Join(dataDir, "store"), cps)
	out, err = run("train", spec, "--data-dir", dataDir, "--resume")
	prev := cps[len(cps)-2]
	if err != nil || !strings.Contains(out, fmt.Sprintf("refused the checkpoint at step %d (manifest %s)", refused.Step, refused.ManifestHash)) ||
		!strings.Contains(out, fmt.Sprintf("continuing from the checkpoint at step %d (manifest %s)", prev.Step, prev.ManifestHash)) {
		t.Fatalf("train --resume: %v; want the refusal and the real resume point said:\n%s", err, out)
	}
	checkRecordOfRefusal(t, run, "wdbc-mlp-refusal", refused)
}

// TestRefusedCheckpointOnTheRecordOfAClusterRun: two ranks in two processes; one
// agent is killed mid-run, the newest checkpoint damaged, and a new agent's attempt
// refuses it, falls back and trains to the end.
func TestRefusedCheckpointOnTheRecordOfAClusterRun(t *testing.T) {
	c := startDev(t)
	killSecond := startKillableAgent(t, c, "refusal-second")
	spec := refusalSpec(t, "wdbc-mlp-refusal-cluster", [2]string{"epochs: 60", "epochs: 400"},
		[2]string{"workers: {min: 1, max: 1, device: cpu}", "workers: {min: 2, max: 2, device: cpu}"},
		[2]string{"max_restarts: 3", "max_restarts: 6"})
	id := strings.TrimSpace(c.must(t, c.admin, "run", spec, "--detach"))
	api := c.api(t, c.admin)
	testutil.WaitFor(t, 60*time.Second, "three committed checkpoints", func() (bool, string) {
		cps, err := api.Checkpoints(t.Context(), id)
		return err == nil && len(cps) >= 3, fmt.Sprint(len(cps), " ", err)
	})
	killSecond()
	testutil.WaitFor(t, 60*time.Second, "the first attempt to end", func() (bool, string) {
		as, err := api.Attempts(t.Context(), id)
		return err == nil && len(as) > 0 && as[0].Status != structs.AttemptRunning, fmt.Sprint(err)
	})
	cps, err := api.Checkpoints(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	refused := damageNewest(t, filepath.Join(c.dataDir, "store"), cps)
	startAgent(t, c, "refusal-third")
	c.waitSucceeded(t, id)

	validator := c.token(t, "validator", structs.RoleValidator)
	var shown struct {
		Attempts []structs.Attempt `json:"attempts"`
		Alerts   []structs.Alert   `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(c.must(t, c.admin, "experiments", "show", id, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	var refuser *structs.Attempt
	for i, a := range shown.Attempts {
		if len(shown.Alerts) == 1 && a.ID == shown.Alerts[0].AttemptID {
			refuser = &shown.Attempts[i]
		}
	}
	if refuser == nil || refuser.ResumeFrom != refused.ID || refuser.ResumedFrom == "" || refuser.ResumedFrom == refused.ID {
		t.Fatalf("attempts %+v\nalerts %+v\nwant the attempt that refused %s to name it as resume_from and another as resumed_from", shown.Attempts, shown.Alerts, refused.ID)
	}
	table := c.must(t, c.admin, "experiments", "show", id)
	for _, want := range []string{"RESUME FROM\tRESUMED FROM", shortID(refused.ID) + " (refused, fell back", shortID(refuser.ResumedFrom)} {
		if !strings.Contains(strings.Join(strings.Fields(table), "\t"), strings.Join(strings.Fields(want), "\t")) {
			t.Fatalf("experiments show does not print %q:\n%s", want, table)
		}
	}
	checkRecordOfRefusal(t, func(args ...string) (string, error) { return c.as(t, validator, args...) }, id, refused)
}

// startKillableAgent runs a worker agent process against the dev cluster and returns
// a function that kills it at once (SIGKILL: no goodbye to the coordinator).
func startKillableAgent(t *testing.T, c *devCluster, node string) (kill func()) {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The agent's certificate comes from the dev cluster's CA, as an operator issues one.
	certDir := t.TempDir()
	if out, err := exec.Command(binary, "tls", "cert", "create", "--agent", "--name", node,
		"--ca-dir", filepath.Join(c.dataDir, "tls", "ca"), "--dir", certDir).CombinedOutput(); err != nil {
		t.Fatalf("tls cert create --agent: %v\n%s", err, out)
	}
	cmd := exec.Command(binary, "agent", "--node-id", node, "--name", node, "--address", "127.0.0.1:0",
		"--tls-ca-file", c.user.CA, "--tls-cert-file", filepath.Join(certDir, "dev-agent-"+node+".pem"),
		"--tls-key-file", filepath.Join(certDir, "dev-agent-"+node+"-key.pem"))
	cmd.Env = append(os.Environ(), "DXTRAIN_ADDR="+c.addr, "DXTRAIN_TOKEN="+c.token(t, node, structs.RoleAgent),
		"DXTRAIN_STORE=file://"+filepath.Join(c.dataDir, "store"), c.kekEnv())
	done := startBackground(t, cmd, logf, "agent "+node)
	// Submissions are checked against the registered nodes: wait for this one.
	c.waitNodes(t, node)
	return func() {
		_ = cmd.Process.Kill()
		<-done
	}
}
