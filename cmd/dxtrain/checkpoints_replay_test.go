package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// TestCheckpointsReplayTwoProcessRun trains WDBC data-parallel on two agents in two
// processes (the dev cluster's and a separate `dxtrain agent`), then replays its
// checkpoints with `dxtrain checkpoints replay`: bit-identical on the recorded two
// ranks.
func TestCheckpointsReplayTwoProcessRun(t *testing.T) {
	const second = "replay-second-node"
	c := startDev(t)
	startAgent(t, c, second)
	spec := twoRankSpec(t)

	id := strings.TrimSpace(c.must(t, c.admin, "run", spec, "--detach"))
	c.waitSucceeded(t, id)
	requireRankOn(t, c, id, second)
	validator := c.token(t, "validator", structs.RoleValidator)
	var cps []structs.Checkpoint
	if err := json.Unmarshal([]byte(c.must(t, validator, "checkpoints", "ls", id, "--json")), &cps); err != nil {
		t.Fatal(err)
	}
	if len(cps) < 3 {
		t.Fatalf("want at least 3 checkpoints, have %d", len(cps))
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].Step < cps[j].Step })
	for _, cp := range cps {
		if cp.WorldSize != 2 {
			t.Fatalf("checkpoint at step %d was written by %d ranks, want 2", cp.Step, cp.WorldSize)
		}
	}
	for _, p := range [][2]structs.Checkpoint{{cps[0], cps[1]}, {cps[0], cps[len(cps)-1]}} {
		out := c.must(t, validator, "checkpoints", "replay", id,
			"--from", strconv.FormatInt(p[0].Step, 10), "--to", strconv.FormatInt(p[1].Step, 10), "--json")
		var rep loop.ReplayReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("replay --json: %v\n%s", err, out)
		}
		if !rep.Identical || rep.WorldSize != 2 || rep.Tensors == 0 || rep.ToSHA != p[1].ManifestHash {
			t.Fatalf("replay %d → %d: %+v", p[0].Step, p[1].Step, rep)
		}
		t.Logf("replay %d → %d on %d ranks: bit-identical, %d tensors, %s", rep.FromStep, rep.ToStep, rep.WorldSize, rep.Tensors, rep.Duration)
	}

	// --all: every link of the retained history, one report each.
	out := c.must(t, validator, "checkpoints", "replay", id, "--all", "--json")
	var reps []loop.ReplayReport
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatalf("replay --all --json: %v\n%s", err, out)
	}
	if len(reps) != len(cps)-1 {
		t.Fatalf("replay --all: %d reports for %d checkpoints", len(reps), len(cps))
	}
	for i, rep := range reps {
		if !rep.Identical || rep.FromStep != cps[i].Step || rep.ToStep != cps[i+1].Step {
			t.Fatalf("replay --all, link %d: %+v", i, rep)
		}
	}
	if out, err := c.as(t, validator, "checkpoints", "replay", id, "--all", "--from", "10"); err == nil || !strings.Contains(out, "either --from and --to, or --all") {
		t.Fatalf("--all with --from: err %v, output %s", err, out)
	}
}

// requireRankOn fails unless every attempt of the experiment had two ranks, one of
// them on node: the run really spanned two processes.
func requireRankOn(t *testing.T, c *devCluster, id, node string) {
	t.Helper()
	api := c.api(t, c.admin)
	attempts, err := api.Attempts(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) == 0 {
		t.Fatal("the experiment has no attempts")
	}
	for _, a := range attempts {
		on := false
		for _, r := range a.Ranks {
			on = on || r.NodeID == node
		}
		if len(a.Ranks) != 2 || !on {
			t.Fatalf("attempt %d ran on %+v, want two ranks, one on %s", a.Number, a.Ranks, node)
		}
	}
}

// twoRankSpec is the shipped wdbc-mlp spec made short, on exactly two workers, with
// a checkpoint every 10 steps that retention keeps.
func twoRankSpec(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, r := range [][2]string{
		{"name: wdbc-mlp\n", "name: wdbc-mlp-two-ranks\n"},
		{"epochs: 60", "epochs: 4"},
		{"workers: {min: 1, max: 1, device: cpu}", "workers: {min: 2, max: 2, device: cpu}"},
		{"every_steps: 50", "every_steps: 10"},
		{"keep_last: 3", "keep_last: 20"},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("experiments/wdbc-mlp.yaml no longer holds %q", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	path := filepath.Join(t.TempDir(), "wdbc-mlp-two-ranks.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAgent runs a second worker agent as its own process against the dev cluster.
func startAgent(t *testing.T, c *devCluster, node string) { startKillableAgent(t, c, node) }
