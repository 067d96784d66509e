package trainer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/device"
)

// This file covers issue 7's corruption case: a committed checkpoint whose blob was
// flipped or truncated is refused on resume, the resume falls back to the previous
// committed checkpoint, and the refusal becomes an alert in the coordinator.

// rewriteBlob replaces the stored bytes of a blob with edit's result, under the same
// key, as a failing disk or a bad copy would.
func rewriteBlob(t *testing.T, store storage.Store, sha string, edit func([]byte) []byte) {
	t.Helper()
	rc, err := store.Get(t.Context(), storage.BlobKey(sha))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	data = edit(data)
	if err := store.Put(t.Context(), storage.BlobKey(sha), bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.VerifyBlob(t.Context(), store, sha); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("blob %s still verifies after the edit: %v", sha, err)
	}
}

func flipByte(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }
func truncate(b []byte) []byte { return b[:len(b)/2] }

// TestResumeRefusesCorruptCheckpointAndRecordsAlert runs the embedded cluster: an
// agent trains until a few checkpoints are committed and is stopped; the latest
// checkpoint's params blob gets a flipped byte; a second agent takes the restarted
// attempt, refuses the latest checkpoint, resumes from the previous one and records a
// checkpoint_refused alert naming the blob, which the researcher's listing shows.
func TestResumeRefusesCorruptCheckpointAndRecordsAlert(t *testing.T) {
	c := startCluster(t, 3*time.Second)
	stopFirst := c.startStoppableAgent(t, "node-a")
	id := c.submit(t, "epochs: 60", "epochs: 1000", "every_steps: 50", "every_steps: 20")
	testutil.WaitFor(t, 20*time.Second, "three committed checkpoints", func() (bool, string) {
		n := len(c.checkpoints(t, id))
		return n >= 3, fmt.Sprintf("%d checkpoints", n)
	})
	stopFirst()
	// A commit the stopped agent had in flight can still land: the leader applies it
	// after the agent gave up waiting. Once the leader has ended the attempt (its node's
	// heartbeats stopped) it refuses the attempt's commits, and the ledger stays as it is
	// until a new attempt starts. (CI once saw step 80 land after the test had corrupted
	// step 60 as the latest, and the resume rightly took 80.)
	testutil.WaitFor(t, 20*time.Second, "the leader to end the stopped attempt", func() (bool, string) {
		as := c.attempts(t, id)
		return as[0].Status != structs.AttemptRunning, fmt.Sprintf("first attempt %s", as[0].Status)
	})
	cps := c.checkpoints(t, id)
	latest, previous := cps[len(cps)-1], cps[len(cps)-2]
	first := c.attempts(t, id)[0]
	if latest.AttemptID != first.ID || previous.Step >= latest.Step || len(latest.BlobHashes) == 0 {
		t.Fatalf("ledger %+v: want the first attempt's checkpoints at increasing steps", cps)
	}
	blob := latest.BlobHashes[0] // the params blob
	rewriteBlob(t, c.store, blob, flipByte)

	c.startAgent(t, "node-b", c.addr, cpuCollector(t))
	var second structs.Attempt
	testutil.WaitFor(t, 20*time.Second, "a second attempt on node-b", func() (bool, string) {
		as := c.attempts(t, id)
		if len(as) < 2 {
			return false, fmt.Sprintf("%d attempts; first %s", len(as), as[0].Status)
		}
		second = as[1]
		return true, ""
	})
	if !second.HasNode("node-b") {
		t.Fatalf("second attempt %+v is not on node-b", second)
	}
	researcher := c.roleClient(t, structs.RoleResearcher)
	var alerts []structs.Alert
	testutil.WaitFor(t, 20*time.Second, "the resume to record an alert", func() (bool, string) {
		var err error
		alerts, err = researcher.Alerts(t.Context(), id, false)
		return err == nil && len(alerts) > 0, fmt.Sprintf("%d alerts (%v)", len(alerts), err)
	})
	al := alerts[0]
	if len(alerts) != 1 || al.Kind != structs.AlertCheckpointRefused || al.ExperimentID != id || al.AttemptID != second.ID ||
		al.CheckpointID != latest.ID || al.Step != latest.Step || al.ManifestHash != latest.ManifestHash || al.BlobHash != blob ||
		!al.Open() || al.Time <= 0 {
		t.Fatalf("alerts %+v\nwant one checkpoint_refused by attempt %s for checkpoint %s (step %d), blob %s",
			alerts, second.ID, latest.ID, latest.Step, blob)
	}
	if !strings.Contains(al.Reason, blob) || !strings.Contains(al.Reason, storage.ErrCorrupt.Error()) {
		t.Fatalf("alert reason %q does not name the corrupt blob %s", al.Reason, blob)
	}
	t.Logf("alert: %s", al.Reason)

	// The second attempt resumed from the previous checkpoint: its first checkpoint
	// follows previous.Step and is no later than the refused one's step.
	testutil.WaitFor(t, 30*time.Second, "the second attempt to commit a checkpoint", func() (bool, string) {
		for _, cp := range c.checkpoints(t, id) {
			if cp.AttemptID == second.ID {
				return true, ""
			}
		}
		return false, "none yet"
	})
	firstStep := int64(-1)
	for _, cp := range c.checkpoints(t, id) {
		if cp.AttemptID == second.ID && (firstStep < 0 || cp.Step < firstStep) {
			firstStep = cp.Step
		}
	}
	if firstStep <= previous.Step || firstStep > latest.Step {
		t.Fatalf("second attempt's first checkpoint is at step %d; resuming from step %d (refusing %d) puts it in (%d, %d]",
			firstStep, previous.Step, latest.Step, previous.Step, latest.Step)
	}
	st, err := c.admin.Status(t.Context())
	if err != nil || st.OpenAlerts != 1 {
		t.Fatalf("status counts %d open alerts (%v), want 1", st.OpenAlerts, err)
	}
	if _, err := c.admin.CancelExperiment(t.Context(), id); err != nil {
		t.Fatal(err)
	}
}

// startStoppableAgent runs a CPU worker agent against the coordinator and returns a
// function that stops it and waits until it has (also called when the test ends).
func (c *testCluster) startStoppableAgent(t *testing.T, nodeID string) (stop func()) {
	t.Helper()
	api, err := client.New([]string{c.addr}, c.agentToken)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(testAgentConfig(t, nodeID, api, c.store, cpuCollector(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("agent %s stopped: %v", nodeID, err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// roleClient returns a client with a fresh token of one role.
func (c *testCluster) roleClient(t *testing.T, role string) *client.Client {
	t.Helper()
	tok, err := c.admin.CreateToken(t.Context(), "test-"+role, role)
	if err != nil {
		t.Fatal(err)
	}
	return c.admin.WithToken(tok.SecretID)
}

func cpuCollector(t *testing.T) device.Collector {
	t.Helper()
	coll, err := device.NewCPU(device.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll
}

// recordingLedger is a real StoreLedger that keeps the refusals Latest reports, and
// fails to record them when fail is set (a coordinator that cannot be reached).
type recordingLedger struct {
	checkpoint.StoreLedger
	fail     error
	refusals []checkpoint.Refusal
}

func (l *recordingLedger) RecordRefusal(_ context.Context, r checkpoint.Refusal) error {
	l.refusals = append(l.refusals, r)
	return l.fail
}

// TestLatestReportsEachRefusal: for each kind of damage, Latest skips the damaged
// checkpoints, loads the newest sound one, and reports every refusal with the blob
// that failed — also when recording the refusal fails.
func TestLatestReportsEachRefusal(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, store storage.Store, rs []checkpoint.Record) []string // the blobs the refusals must name, newest first
		fail    error
		loaded  int64 // the step Latest must load; -1: none
		refused []int64
	}{
		{"flipped params byte", func(t *testing.T, s storage.Store, rs []checkpoint.Record) []string {
			r := rs[2]
			rewriteBlob(t, s, r.Blobs[0], flipByte)
			return []string{r.Blobs[0]}
		}, nil, 20, []int64{30}},
		{"truncated optimizer", func(t *testing.T, s storage.Store, rs []checkpoint.Record) []string {
			r := rs[2]
			rewriteBlob(t, s, r.Blobs[1], truncate)
			return []string{r.Blobs[1]}
		}, nil, 20, []int64{30}},
		{"missing manifest", func(t *testing.T, s storage.Store, rs []checkpoint.Record) []string {
			r := rs[2]
			if err := s.Delete(t.Context(), storage.BlobKey(r.ManifestSHA)); err != nil {
				t.Fatal(err)
			}
			return []string{r.ManifestSHA}
		}, nil, 20, []int64{30}},
		{"recording fails", func(t *testing.T, s storage.Store, rs []checkpoint.Record) []string {
			r := rs[2]
			rewriteBlob(t, s, r.Blobs[0], flipByte)
			return []string{r.Blobs[0]}
		}, errors.New("coordinator unreachable"), 20, []int64{30}},
		{"two newest damaged", func(t *testing.T, s storage.Store, rs []checkpoint.Record) []string {
			rewriteBlob(t, s, rs[2].Blobs[1], flipByte)
			rewriteBlob(t, s, rs[1].Blobs[0], truncate)
			return []string{rs[2].Blobs[1], rs[1].Blobs[0]}
		}, nil, 10, []int64{30, 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store, err := storage.NewFileStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			ledger := &recordingLedger{StoreLedger: checkpoint.StoreLedger{Store: store}, fail: tc.fail}
			var records []checkpoint.Record
			for _, step := range []int64{10, 20, 30} {
				records = append(records, saveCheckpoint(t, store, ledger, step))
			}
			want := tc.damage(t, store, records)
			var logs bytes.Buffer
			l, err := checkpoint.Latest(t.Context(), ledger, store, "exp", slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatalf("latest: %v", err)
			}
			if l.Manifest.Cursor.Step != tc.loaded {
				t.Fatalf("loaded step %d, want %d", l.Manifest.Cursor.Step, tc.loaded)
			}
			if len(ledger.refusals) != len(tc.refused) {
				t.Fatalf("%d refusals reported, want %d: %+v", len(ledger.refusals), len(tc.refused), ledger.refusals)
			}
			for i, r := range ledger.refusals {
				if r.Record.Step != tc.refused[i] || r.Blob != want[i] || r.Err == nil || !strings.Contains(r.Err.Error(), want[i]) {
					t.Fatalf("refusal %d: step %d blob %s error %v; want step %d naming blob %s", i, r.Record.Step, r.Blob, r.Err, tc.refused[i], want[i])
				}
			}
			if tc.fail != nil && !strings.Contains(logs.String(), tc.fail.Error()) {
				t.Fatalf("a refusal that could not be recorded was not logged:\n%s", logs.String())
			}
		})
	}
}

// saveCheckpoint writes and commits a small real checkpoint at step.
func saveCheckpoint(t *testing.T, store storage.Store, ledger checkpoint.Ledger, step int64) checkpoint.Record {
	t.Helper()
	net, err := models.NewNetwork(models.Options{Architecture: "mlp", InputShape: []int{4}, Hidden: []int{3}, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	params := models.InitParams(net, uint64(step))
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		t.Fatal(err)
	}
	optState := checkpoint.CloneTensors(opt.State())
	optState[0].Data[0] = float32(step) // fresh Adam moments are zeros: make each step's blob its own
	st := &checkpoint.State{Experiment: "exp", Cursor: checkpoint.Cursor{Step: step, OptimizerSteps: step},
		RNG: checkpoint.RNG{Algorithm: "pcg", Seed: 1}, WorldSize: 1, Network: net,
		Params: checkpoint.CloneTensors(params), Optimizer: optState,
		DatasetHash: strings.Repeat("d", 64), SpecHash: strings.Repeat("s", 64), CodeVersion: "test"}
	m, sha, err := checkpoint.Save(t.Context(), store, st, time.Unix(step, 0))
	if err != nil {
		t.Fatal(err)
	}
	r := checkpoint.Record{Experiment: "exp", Step: step, ManifestSHA: sha, WorldSize: 1}
	for _, b := range m.Blobs {
		r.Blobs = append(r.Blobs, b.SHA256)
	}
	if err := ledger.Commit(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// An alert's reason is cut to the coordinator's limit without splitting a character.
func TestTruncateUTF8(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc"},
		{"ab€", 4, "ab"}, // € is 3 bytes: cutting inside it drops it whole
		{"€", 0, ""},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q/%d", tc.in, tc.n), func(t *testing.T) {
			if got := truncateUTF8(tc.in, tc.n); got != tc.want {
				t.Fatalf("truncateUTF8(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}
