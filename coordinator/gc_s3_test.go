package coordinator

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// The blob sweep against a real MinIO: a referenced blob stays, an orphan stays
// inside the grace period and goes after it (the sweep's clock is moved forward, as
// S3 modification times cannot be backdated).
func TestBlobGCOnMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MinIO server; skipped under -short")
	}
	srv := miniotest.Start(t)
	st, err := s3.New(t.Context(), s3.Config{Config: srv.Config(), Bucket: "gc-test", Prefix: "cluster"})
	if err != nil {
		t.Fatal(err)
	}
	const grace = time.Hour
	r := startRunning(t, "gc-s3", runningSetup{tweak: func(c *Config) { c.Store, c.GCGrace = st, grace }, beat: true})
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	leader := WaitForLeader(t, servers...)
	ctx := t.Context()
	put := func(s string) string {
		sha, err := storage.PutBlob(ctx, st, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	manifest, tensors, orphan := put("manifest"), put("tensors"), put("orphan")
	if _, err := tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID,
		Step: 10, ManifestHash: manifest, BlobHashes: []string{tensors}, WorldSize: 1}); err != nil {
		t.Fatal(err)
	}
	// An unrelated object outside blobs/ is never judged.
	if err := st.Put(ctx, "reports/x.json", bytes.NewReader([]byte("{}")), 2); err != nil {
		t.Fatal(err)
	}
	present := func(key string) bool {
		_, err := st.Stat(ctx, key)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	gc := newBlobGC(leader)
	for _, tc := range []struct {
		name    string
		now     time.Time
		deleted int
	}{{"inside grace", time.Now(), 0}, {"after grace", time.Now().Add(2 * grace), 1}} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := gc.sweep(ctx, tc.now)
			if err != nil || rep.Deleted != tc.deleted || rep.Referenced != 2 {
				t.Fatalf("sweep: %+v %v; want %d deleted, 2 referenced", rep, err, tc.deleted)
			}
		})
	}
	if present(storage.BlobKey(orphan)) || !present(storage.BlobKey(manifest)) || !present(storage.BlobKey(tensors)) || !present("reports/x.json") {
		t.Fatal("after the sweeps: want the orphan gone and the referenced blobs and the report kept")
	}
}
