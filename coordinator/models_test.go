package coordinator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/storage"
)

// releaseFixture is a one-server cluster with an object store, an experiment with a
// running attempt, a clean checkpoint and a suspect one, and four uploaded files.
type releaseFixture struct {
	servers        []*Server
	tk             *tokens
	store          *storage.FileStore
	expID          string
	clean, suspect string
	files          map[string][]byte // file name → content
	args           structs.ModelReleaseArgs
}

func newReleaseFixture(t *testing.T, n int, store storage.Store) *releaseFixture {
	t.Helper()
	fs, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		store = fs
	}
	r := startRunning(t, "release", runningSetup{servers: n, tweak: func(c *Config) { c.Store = store }, beat: true})
	f := &releaseFixture{servers: r.servers, tk: r.tk, store: fs, expID: r.sub.ID}
	ctx := t.Context()
	sub, att := r.sub, r.att
	for i, step := range []int64{10, 20} {
		c, err := f.tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID,
			Step: step, ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.clean = c.ID
		} else {
			f.suspect = c.ID
		}
	}
	yes := true
	if _, err := f.tk.validator.FlagCheckpoint(ctx, f.suspect, structs.CheckpointFlagArgs{Suspect: &yes}); err != nil {
		t.Fatal(err)
	}
	onnx := make([]byte, 3*streamChunk+123) // several chunks, so the hold-back matters
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range onnx {
		onnx[i] = byte(rng.UintN(256))
	}
	f.files = map[string][]byte{
		structs.ModelFileONNX:      onnx,
		structs.ModelFileCard:      []byte(`{"intended_use":"triage"}`),
		structs.ModelFileStatement: []byte(`{"onnx_sha256":"…"}`),
		structs.ModelFileSignature: []byte("sig-bytes"),
	}
	shas := map[string]string{}
	for name, data := range f.files {
		if shas[name], err = storage.PutBlob(ctx, fs, data); err != nil {
			t.Fatal(err)
		}
	}
	f.args = structs.ModelReleaseArgs{Name: "wdbc-mlp", ExperimentID: sub.ID, CheckpointID: f.clean,
		ONNXSHA256: shas[structs.ModelFileONNX], CardSHA256: shas[structs.ModelFileCard],
		StatementSHA256: shas[structs.ModelFileStatement], SignatureSHA256: shas[structs.ModelFileSignature],
		Approver: "Dr A. Approver", ApproverKey: "0123456789abcdef", Metrics: map[string]float64{"auroc": 0.97}}
	return f
}

func download(ctx context.Context, c *client.Client, name string, version int, file string) ([]byte, string, error) {
	body, sha, err := c.DownloadModelFile(ctx, name, version, file)
	if err != nil {
		return nil, "", err
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	return data, sha, err
}

func TestModelRegistryReleaseRevokeDownload(t *testing.T) {
	f := newReleaseFixture(t, 3, nil)
	ctx := t.Context()
	var follower *Server
	for _, s := range f.servers {
		if !s.IsLeader() {
			follower = s
		}
	}
	viaFollower, err := client.New([]string{follower.HTTPAddr()}, f.tk.secrets[3], client.WithRetryFor(time.Second))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := f.tk.trust.ReleaseModel(ctx, f.args); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("trust release: %v, want 403", err)
	}
	if _, err := f.tk.researcher.ReleaseModel(ctx, f.args); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("researcher release: %v, want 403", err)
	}
	if got, _ := f.tk.trust.TokenSelf(ctx); got == nil || !got.HasRole(structs.RoleTrust) {
		t.Fatalf("secrets[3] is not the trust token")
	}
	v1, err := f.tk.validator.ReleaseModel(ctx, f.args)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	if v1.Version != 1 || v1.CheckpointStep != 10 || v1.Approver != f.args.Approver || v1.Revoked || v1.CreatedAt == 0 {
		t.Fatalf("v1: %+v", v1)
	}
	ck, err := f.tk.researcher.Checkpoint(ctx, f.clean)
	if err != nil || !ck.Pinned || ck.ModifyIndex != v1.CreateIndex {
		t.Fatalf("checkpoint not pinned by the release entry %d: %+v %v", v1.CreateIndex, ck, err)
	}
	v2, err := f.tk.admin.ReleaseModel(ctx, f.args)
	if err != nil || v2.Version != 2 {
		t.Fatalf("second release: %+v %v", v2, err)
	}

	refused := []struct {
		name string
		edit func(a *structs.ModelReleaseArgs)
		want error
		text string
	}{
		{"suspect checkpoint", func(a *structs.ModelReleaseArgs) { a.CheckpointID = f.suspect }, structs.ErrInvalid, "suspect"},
		{"unknown checkpoint", func(a *structs.ModelReleaseArgs) { a.CheckpointID = "nope" }, structs.ErrNotFound, "nope"},
		{"bad hash", func(a *structs.ModelReleaseArgs) { a.CardSHA256 = "abc" }, structs.ErrInvalid, "card_sha256"},
		{"bad fingerprint", func(a *structs.ModelReleaseArgs) { a.ApproverKey = "XYZ" }, structs.ErrInvalid, "approver_key"},
		{"bad name", func(a *structs.ModelReleaseArgs) { a.Name = "a b" }, structs.ErrInvalid, "name"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			a := f.args
			tc.edit(&a)
			_, err := f.tk.validator.ReleaseModel(ctx, a)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %v mentioning %q", err, tc.want, tc.text)
			}
		})
	}
	vs, err := f.tk.trust.ModelVersions(ctx, f.args.Name)
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 {
		t.Fatalf("versions after refused releases: %+v %v", vs, err)
	}
	ms, err := f.tk.trust.Models(ctx)
	if err != nil || len(ms) != 1 || ms[0].LatestVersion != 2 || ms[0].Latest.ONNXSHA256 != f.args.ONNXSHA256 {
		t.Fatalf("models: %+v %v", ms, err)
	}

	for i, file := range structs.ModelFiles {
		t.Run("download "+file, func(t *testing.T) {
			c := f.tk.trust
			if i%2 == 1 {
				c = viaFollower // streamed through the follower's proxy to the leader
			}
			data, sha, err := download(ctx, c, f.args.Name, 1, file)
			if err != nil || !bytes.Equal(data, f.files[file]) || sha != storage.Digest(f.files[file]) {
				t.Fatalf("got %d bytes sha %s err %v; want %d bytes", len(data), sha, err, len(f.files[file]))
			}
		})
	}
	if _, _, err := download(ctx, f.tk.trust, f.args.Name, 1, "weights.bin"); !errors.Is(err, structs.ErrInvalid) {
		t.Fatalf("unknown file: %v", err)
	}
	if _, _, err := download(ctx, f.tk.trust, f.args.Name, 7, structs.ModelFileONNX); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("unknown version: %v", err)
	}

	if _, err := f.tk.trust.RevokeModel(ctx, f.args.Name, 1, "x"); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("trust revoke: %v, want 403", err)
	}
	if _, err := f.tk.validator.RevokeModel(ctx, f.args.Name, 1, ""); !errors.Is(err, structs.ErrInvalid) {
		t.Fatalf("revoke without reason: %v", err)
	}
	if _, err := f.tk.validator.RevokeModel(ctx, f.args.Name, 1, "subgroup AUROC below threshold"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := f.tk.validator.RevokeModel(ctx, f.args.Name, 1, "again"); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	got, err := f.tk.trust.ModelVersion(ctx, f.args.Name, 1)
	if err != nil || !got.Revoked || got.RevokedReason != "subgroup AUROC below threshold" || got.ONNXSHA256 != v1.ONNXSHA256 {
		t.Fatalf("revoked metadata: %+v %v", got, err)
	}
	_, _, err = download(ctx, f.tk.trust, f.args.Name, 1, structs.ModelFileONNX)
	if !errors.Is(err, structs.ErrGone) || !strings.Contains(err.Error(), "subgroup AUROC") {
		t.Fatalf("download of revoked version: %v, want 410 with the reason", err)
	}
	var actions []string
	entries, err := f.tk.admin.Audit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "model_") && e.Outcome == structs.OutcomeOK {
			actions = append(actions, e.Action+" "+e.Target)
		}
	}
	if want := "model_release wdbc-mlp@1,model_release wdbc-mlp@2,model_revoke wdbc-mlp@1"; strings.Join(actions, ",") != want {
		t.Fatalf("audit: %v, want %s", actions, want)
	}

	// A corrupted blob: the download fails, never hands over wrong bytes as complete.
	for i, file := range []string{structs.ModelFileONNX, structs.ModelFileCard, structs.ModelFileStatement} {
		t.Run("corrupt "+file, func(t *testing.T) {
			c := f.tk.trust
			if i == 2 {
				c = viaFollower
			}
			bad := bytes.Clone(f.files[file])
			bad[len(bad)/2] ^= 0xff
			sha := storage.Digest(f.files[file])
			if err := f.store.Put(ctx, storage.BlobKey(sha), bytes.NewReader(bad), int64(len(bad))); err != nil {
				t.Fatal(err)
			}
			data, _, err := download(ctx, c, f.args.Name, 2, file)
			if !errors.Is(err, client.ErrDownloadCorrupt) || !strings.Contains(err.Error(), "stored copy of "+file) {
				t.Fatalf("corrupt download: %d bytes, err %v; want the store's copy named corrupt", len(data), err)
			}
			if len(data) >= len(bad) {
				t.Fatalf("server sent all %d corrupted bytes", len(data))
			}
		})
	}
}

// presigningStore is a file store that also presigns, as the S3 backend would: the
// URL points at a plain HTTP server in front of the same directory.
type presigningStore struct {
	*storage.FileStore
	base string
}

func (p *presigningStore) PresignGet(_ context.Context, key string, ttl time.Duration) (string, error) {
	return p.base + "/" + key + "?ttl=" + ttl.String(), nil
}

func TestModelDownloadRedirectsToPresignedURL(t *testing.T) {
	dir := t.TempDir()
	fs, err := storage.NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	var leaked atomic.Bool
	blobs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(structs.HeaderToken) != "" {
			leaked.Store(true)
		}
		rc, err := fs.Get(r.Context(), strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer rc.Close()
		_, _ = io.Copy(w, rc)
	}))
	t.Cleanup(blobs.Close)
	f := newReleaseFixture(t, 1, &presigningStore{FileStore: fs, base: blobs.URL})
	// The fixture uploaded to its own store; upload to the presigning one too.
	for _, data := range f.files {
		if _, err := storage.PutBlob(t.Context(), fs, data); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.tk.validator.ReleaseModel(t.Context(), f.args); err != nil {
		t.Fatal(err)
	}
	data, sha, err := download(t.Context(), f.tk.trust, f.args.Name, 1, structs.ModelFileONNX)
	if err != nil || !bytes.Equal(data, f.files[structs.ModelFileONNX]) || sha != f.args.ONNXSHA256 {
		t.Fatalf("presigned download: %d bytes, sha %s, err %v", len(data), sha, err)
	}
	if leaked.Load() {
		t.Fatal("the API token was sent to the presigned URL")
	}
}
