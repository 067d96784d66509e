package coordinator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/storage"
)

// flakyDeletes is a real FileStore whose Delete fails for the keys in failing, once
// per entry, to exercise the retry of failed deletes.
type flakyDeletes struct {
	*storage.FileStore
	mu      sync.Mutex
	failing map[string]int
}

func (f *flakyDeletes) Delete(ctx context.Context, key string) error {
	f.mu.Lock()
	n := f.failing[key]
	if n > 0 {
		f.failing[key] = n - 1
	}
	f.mu.Unlock()
	if n > 0 {
		return errors.New("injected delete failure")
	}
	return f.FileStore.Delete(ctx, key)
}

// putAged uploads data as a blob and backdates its file by age.
func putAged(t *testing.T, fs *storage.FileStore, data string, age time.Duration) string {
	t.Helper()
	sha, err := storage.PutBlob(t.Context(), fs, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-age)
	if err := os.Chtimes(filepath.Join(fs.Root(), filepath.FromSlash(storage.BlobKey(sha))), then, then); err != nil {
		t.Fatal(err)
	}
	return sha
}

func exists(t *testing.T, fs *storage.FileStore, sha string) bool {
	t.Helper()
	_, err := fs.Stat(t.Context(), storage.BlobKey(sha))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// One server with a FileStore: checkpoints with real blobs, a validator pin, a model
// release, a suspect checkpoint and orphans young and old. Retention drops the
// records it does not keep in one audited entry; the blob sweep then deletes exactly
// the unreferenced blobs older than the grace period, retries a failed delete on the
// next sweep, and never touches a referenced blob.
func TestRetentionThenBlobGC(t *testing.T) {
	root := t.TempDir()
	fs, err := storage.NewFileStore(root)
	if err != nil {
		t.Fatal(err)
	}
	store := &flakyDeletes{FileStore: fs, failing: map[string]int{}}
	const grace = time.Hour
	r := startRunning(t, "gc", runningSetup{tweak: func(c *Config) { c.Store, c.GCGrace = store, grace }, beat: true}) // keep_last: 3
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	leader := WaitForLeader(t, servers...)
	ctx := t.Context()

	// Checkpoints at steps 10..70, each with its own manifest and tensor blob, all
	// written two hours ago (older than the grace period).
	type ckpt struct{ id, manifest, blob string }
	cps := map[int64]ckpt{}
	for step := int64(10); step <= 70; step += 10 {
		m := putAged(t, fs, fmt.Sprintf("manifest %d", step), 2*grace)
		b := putAged(t, fs, fmt.Sprintf("tensors %d", step), 2*grace)
		r, err := tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID,
			Step: step, ManifestHash: "sha256:" + m, BlobHashes: []string{b}, WorldSize: 1,
			Metrics: map[string]float64{"val_loss": 1 / float64(step)}})
		if err != nil {
			t.Fatal(err)
		}
		cps[step] = ckpt{r.ID, m, b}
	}
	yes := true
	if _, err := tk.validator.FlagCheckpoint(ctx, cps[30].id, structs.CheckpointFlagArgs{Pinned: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.agent.FlagCheckpoint(ctx, cps[20].id, structs.CheckpointFlagArgs{Suspect: &yes}); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range structs.ModelFiles {
		files[f] = putAged(t, fs, "model file "+f, 2*grace)
	}
	if _, err := tk.validator.ReleaseModel(ctx, structs.ModelReleaseArgs{Name: "gc-model", ExperimentID: sub.ID,
		CheckpointID: cps[10].id, ONNXSHA256: files[structs.ModelFileONNX], CardSHA256: files[structs.ModelFileCard],
		StatementSHA256: files[structs.ModelFileStatement], SignatureSHA256: files[structs.ModelFileSignature],
		Approver: "Dr A. Approver", ApproverKey: "0123456789abcdef"}); err != nil {
		t.Fatalf("release: %v", err)
	}
	// Unpinning does not expose a released checkpoint: the model version still names it.
	no := false
	if _, err := tk.validator.FlagCheckpoint(ctx, cps[10].id, structs.CheckpointFlagArgs{Pinned: &no}); err != nil {
		t.Fatal(err)
	}
	oldOrphan := putAged(t, fs, "old orphan", 2*grace)
	youngOrphan := putAged(t, fs, "young orphan", time.Minute)

	// Retention: keep 50, 60, 70 (last three), 30 (pinned), 10 (released); drop 20
	// (suspect) and 40.
	deleted, err := leader.applyRetention(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cps[20].id, cps[40].id}
	slices.Sort(want)
	if !slices.Equal(deleted, want) {
		t.Fatalf("retention deleted %v, want %v (steps 20 and 40)", deleted, want)
	}
	left, err := tk.researcher.Checkpoints(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	for _, c := range left {
		steps = append(steps, c.Step)
	}
	if !slices.Equal(steps, []int64{10, 30, 50, 60, 70}) {
		t.Fatalf("steps left after retention: %v, want [10 30 50 60 70]", steps)
	}
	audit, err := tk.admin.Audit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(e structs.AuditEntry) bool {
		return e.Action == "checkpoint_retention" && e.Outcome == structs.OutcomeOK && strings.Contains(e.Target, cps[40].id)
	}) {
		t.Fatalf("no ok checkpoint_retention audit entry naming %s", cps[40].id)
	}
	if again, err := leader.applyRetention(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second retention pass deleted %v (%v), want nothing", again, err)
	}

	// Blob sweep with one injected delete failure on the old orphan.
	store.mu.Lock()
	store.failing[storage.BlobKey(oldOrphan)] = 1
	store.mu.Unlock()
	gc := newBlobGC(leader)
	rep, err := gc.sweep(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deleted != 4 || rep.Failed != 1 || rep.Young != 1 || gc.pending() != 1 {
		t.Fatalf("first sweep: %+v pending %d; want 4 deleted (steps 20 and 40), 1 failed, 1 young, 1 pending", rep, gc.pending())
	}
	for _, step := range []int64{20, 40} {
		for _, sha := range []string{cps[step].manifest, cps[step].blob} {
			if exists(t, fs, sha) {
				t.Errorf("blob %s of the retired step-%d checkpoint survived the sweep", sha, step)
			}
		}
	}
	rep, err = gc.sweep(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deleted != 1 || rep.Failed != 0 || gc.pending() != 0 || exists(t, fs, oldOrphan) {
		t.Fatalf("retry sweep: %+v pending %d, old orphan exists %v; want it deleted", rep, gc.pending(), exists(t, fs, oldOrphan))
	}
	if !exists(t, fs, youngOrphan) {
		t.Fatal("young orphan deleted inside the grace period")
	}
	// Past the young orphan's grace: only it goes.
	if rep, err = gc.sweep(ctx, time.Now().Add(2*grace)); err != nil || rep.Deleted != 1 || exists(t, fs, youngOrphan) {
		t.Fatalf("late sweep: %+v %v, young orphan exists %v", rep, err, exists(t, fs, youngOrphan))
	}
	for _, step := range []int64{10, 30, 50, 60, 70} {
		for _, sha := range []string{cps[step].manifest, cps[step].blob} {
			if !exists(t, fs, sha) {
				t.Errorf("blob %s of kept checkpoint step %d was deleted", sha, step)
			}
		}
	}
	for f, sha := range files {
		if !exists(t, fs, sha) {
			t.Errorf("released model file %s (%s) was deleted", f, sha)
		}
	}
}

// The leader runs retention and the sweep on its own every GCInterval.
func TestLeaderRunsGCLoop(t *testing.T) {
	fs, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	servers := testCluster(t, 1, func(c *Config) { c.Store, c.GCInterval, c.GCGrace = fs, 50*time.Millisecond, 200*time.Millisecond })
	WaitForLeader(t, servers...)
	// The grace period runs from the blob's modification time, which the file system
	// stamps from a coarse clock (up to a tick behind): allow 10 ms for it.
	start := time.Now()
	orphan, err := storage.PutBlob(t.Context(), fs, []byte("orphan"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "the leader's gc loop to delete the orphan", func() (bool, string) {
		return !exists(t, fs, orphan), "orphan still present"
	})
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("orphan deleted after %v, inside the 200ms grace period", d)
	}
}
