package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// wdbcSpec writes experiments/wdbc-mlp.yaml into a temp dir with the dataset path
// made absolute (the agents run elsewhere), the given number of epochs and a
// checkpoint every everySteps steps, and returns the file's path. extra holds more
// old, new pairs of lines to replace.
func wdbcSpec(t *testing.T, epochs, everySteps int, extra ...[2]string) string {
	t.Helper()
	src, err := os.ReadFile("../../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatalf("read the example spec: %v", err)
	}
	data, err := filepath.Abs("../../datasets/testdata/wdbc.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(src)
	var replace []struct{ old, new string }
	for _, r := range []struct{ old, new string }{
		{"path: datasets/testdata/wdbc.csv", "path: " + data},
		{"epochs: 60", fmt.Sprintf("epochs: %d", epochs)},
		{"every_steps: 50", fmt.Sprintf("every_steps: %d", everySteps)},
	} {
		replace = append(replace, r)
	}
	for _, e := range extra {
		replace = append(replace, struct{ old, new string }{e[0], e[1]})
	}
	for _, r := range replace {
		if n := strings.Count(spec, r.old); n != 1 {
			t.Fatalf("experiments/wdbc-mlp.yaml has %q %d times, want once: update wdbcSpec", r.old, n)
		}
		spec = strings.Replace(spec, r.old, r.new, 1)
	}
	path := filepath.Join(t.TempDir(), "wdbc-mlp.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// submit runs `dxtrain run SPEC --detach` and returns the experiment ID it prints.
func (c *cluster) submit(specPath string) string {
	c.t.Helper()
	out := strings.TrimSpace(runCLI(c.t, c.cliEnv("DXTRAIN_TOKEN="+c.adminToken), "run", specPath, "--detach", "--addr", c.addrList()))
	if out == "" || strings.ContainsAny(out, " \n") {
		c.t.Fatalf("dxtrain run --detach printed %q, want one experiment ID", out)
	}
	return out
}

// runningAttempt waits for a running attempt of the experiment with the given
// number and returns it.
func (c *cluster) runningAttempt(expID string, number int, timeout time.Duration) structs.Attempt {
	c.t.Helper()
	var got structs.Attempt
	testutil.WaitFor(c.t, timeout, fmt.Sprintf("attempt %d of %s to run", number, expID), func() (bool, string) {
		as, err := c.admin.Attempts(c.t.Context(), expID)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range as {
			if a.Number == number && a.Status == structs.AttemptRunning {
				got = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d attempts: %s", len(as), attemptsString(as))
	})
	return got
}

// checkpoints lists the experiment's committed checkpoints by step (a leader read).
func (c *cluster) checkpoints(expID string) []structs.Checkpoint {
	c.t.Helper()
	cps, err := c.admin.Checkpoints(c.t.Context(), expID)
	if err != nil {
		c.t.Fatalf("list checkpoints of %s: %v", expID, err)
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].Step < cps[j].Step })
	return cps
}

// waitCheckpoints waits until the experiment has at least n committed checkpoints.
func (c *cluster) waitCheckpoints(expID string, n int, timeout time.Duration) []structs.Checkpoint {
	c.t.Helper()
	var cps []structs.Checkpoint
	testutil.WaitFor(c.t, timeout, fmt.Sprintf("%d checkpoints of %s", n, expID), func() (bool, string) {
		var err error
		if cps, err = c.admin.Checkpoints(c.t.Context(), expID); err != nil {
			return false, err.Error()
		}
		return len(cps) >= n, fmt.Sprintf("%d checkpoints", len(cps))
	})
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].Step < cps[j].Step })
	return cps
}

// waitExperiment waits until the experiment reaches a final status and returns it.
func (c *cluster) waitExperiment(expID string, timeout time.Duration) *structs.Experiment {
	c.t.Helper()
	var got *structs.Experiment
	testutil.WaitFor(c.t, timeout, "experiment "+expID+" to end", func() (bool, string) {
		e, err := c.admin.Experiment(c.t.Context(), expID)
		if err != nil {
			return false, err.Error()
		}
		got = e
		return structs.ExperimentTerminal(e.Status), fmt.Sprintf("%s at step %d", e.Status, e.Progress.Step)
	})
	return got
}

// verifyCheckpoints loads every checkpoint from the shared file store, which checks
// each blob's SHA-256 against the manifest, and checks the manifest's step.
func (c *cluster) verifyCheckpoints(cps []structs.Checkpoint) {
	c.t.Helper()
	store, err := storage.NewFileStore(c.storeDir)
	if err != nil {
		c.t.Fatalf("open the file store: %v", err)
	}
	for _, cp := range cps {
		l, err := checkpoint.Load(c.t.Context(), store, cp.ManifestHash)
		if err != nil {
			c.t.Errorf("checkpoint %s (step %d) does not verify: %v", cp.ID, cp.Step, err)
			continue
		}
		if l.Manifest.Cursor.Step != cp.Step {
			c.t.Errorf("checkpoint %s: ledger says step %d, manifest says %d", cp.ID, cp.Step, l.Manifest.Cursor.Step)
		}
	}
}

func attemptsString(as []structs.Attempt) string {
	var parts []string
	for _, a := range as {
		nodes := []string{}
		for _, r := range a.Ranks {
			nodes = append(nodes, r.NodeID)
		}
		parts = append(parts, fmt.Sprintf("#%d %s on %s resume=%q reason=%q", a.Number, a.Status,
			strings.Join(nodes, ","), a.ResumeFrom, a.EndReason))
	}
	return strings.Join(parts, "; ")
}
