package coordinator

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/storage"
)

// blobsPrefix is where the store keeps content-addressed blobs (storage.BlobKey).
const blobsPrefix = "blobs/"

// GCReport counts what one blob sweep did.
type GCReport struct {
	Listed     int // blobs found under blobs/
	Referenced int // named by a committed record: kept
	Young      int // unreferenced but younger than the grace period: kept for now
	Deleted    int // unreferenced, old enough, deleted
	Failed     int // deletes that failed this sweep; retried on the next one
	TempSwept  int // temporary files and multipart uploads of interrupted uploads removed
}

// blobGC is the leader's blob sweeper. It remembers the deletes that failed, so they
// are retried on the next sweep (and counted) even if a listing misses them.
type blobGC struct {
	s *Server

	mu       sync.Mutex
	store    storage.Store
	failures map[string]int // blob key → failed delete attempts so far
}

func newBlobGC(s *Server) *blobGC {
	return &blobGC{s: s, failures: map[string]int{}}
}

// objectStore is Config.Store, or Config.StoreURL opened once; nil when neither is set.
func (g *blobGC) objectStore(ctx context.Context) (storage.Store, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.store != nil {
		return g.store, nil
	}
	if g.s.cfg.Store != nil {
		g.store = g.s.cfg.Store
		return g.store, nil
	}
	if g.s.cfg.StoreURL == "" {
		return nil, nil
	}
	scfg, err := storage.ConfigFromEnv()
	if err != nil {
		return nil, fmt.Errorf("open store for gc: %w", err)
	}
	st, err := storage.Open(ctx, g.s.cfg.StoreURL, scfg)
	if err != nil {
		return nil, fmt.Errorf("open store for gc: %w", err)
	}
	g.store = st
	return st, nil
}

// sweep deletes every blob under blobs/ that no committed record names and whose
// modification time is more than GCGrace before now. The listing is taken before the
// references are read, so a record committed meanwhile protects its blobs; each
// delete re-reads the references if the state moved on since.
func (g *blobGC) sweep(ctx context.Context, now time.Time) (GCReport, error) {
	var rep GCReport
	store, err := g.objectStore(ctx)
	if err != nil || store == nil {
		return rep, err
	}
	grace := g.s.cfg.GCGrace
	if ts, ok := store.(interface {
		SweepTemp(context.Context, time.Duration) (int, error)
	}); ok {
		n, err := ts.SweepTemp(ctx, grace)
		rep.TempSwept = n
		if err != nil {
			g.s.log.Warn("blob gc: sweep temporary files", "error", err)
		}
	}
	if ms, ok := store.(interface {
		SweepIncomplete(context.Context, time.Duration, ...string) (int, error)
	}); ok {
		n, err := ms.SweepIncomplete(ctx, grace) // abandoned multipart uploads (S3)
		rep.TempSwept += n
		if err != nil {
			g.s.log.Warn("blob gc: sweep incomplete uploads", "error", err)
		}
	}
	infos, err := store.List(ctx, blobsPrefix)
	if err != nil {
		return rep, fmt.Errorf("blob gc: list %s: %w", blobsPrefix, err)
	}
	rep.Listed = len(infos)
	st := g.s.State()
	refs, at := referencedBlobs(st), st.LatestIndex()
	g.mu.Lock()
	for key := range g.failures { // retried even when this listing missed them
		if !containsKey(infos, key) {
			infos = append(infos, storage.ObjectInfo{Key: key})
		}
	}
	g.mu.Unlock()
	for _, info := range infos {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		sha := path.Base(info.Key)
		if storage.BlobKey(sha) != info.Key {
			continue // not a content-addressed blob: not ours to judge
		}
		if refs[sha] {
			rep.Referenced++
			g.forget(info.Key)
			continue
		}
		if !info.ModTime.IsZero() && now.Sub(info.ModTime) < grace {
			rep.Young++
			continue
		}
		if idx := g.s.State().LatestIndex(); idx != at { // commits since: look again
			st = g.s.State()
			if refs, at = referencedBlobs(st), idx; refs[sha] {
				rep.Referenced++
				g.forget(info.Key)
				continue
			}
		}
		// Re-read the age just before deleting: a writer may have re-uploaded the
		// same content since the listing, to commit it.
		if cur, err := store.Stat(ctx, info.Key); err == nil && now.Sub(cur.ModTime) < grace {
			rep.Young++
			continue
		}
		if err := store.Delete(ctx, info.Key); err != nil {
			rep.Failed++
			g.mu.Lock()
			g.failures[info.Key]++
			n := g.failures[info.Key]
			g.mu.Unlock()
			g.s.log.Warn("blob gc: delete failed, retrying next sweep", "key", info.Key, "attempts", n, "error", err)
			continue
		}
		g.forget(info.Key)
		rep.Deleted++
	}
	if rep.Deleted > 0 || rep.Failed > 0 || rep.TempSwept > 0 {
		g.s.log.Info("blob gc swept", "listed", rep.Listed, "deleted", rep.Deleted, "failed", rep.Failed,
			"young", rep.Young, "temp_swept", rep.TempSwept, "pending_retries", g.pending())
	}
	return rep, nil
}

func (g *blobGC) forget(key string) {
	g.mu.Lock()
	delete(g.failures, key)
	g.mu.Unlock()
}

// pending is the number of blobs whose delete failed and awaits a retry.
func (g *blobGC) pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.failures)
}

func containsKey(infos []storage.ObjectInfo, key string) bool {
	for _, i := range infos {
		if i.Key == key {
			return true
		}
	}
	return false
}

// referencedBlobs is the set of SHA-256 digests some committed record names:
// checkpoint blobs and manifests, dataset shards and manifests, model version files,
// experiments' code bundles and artifacts.
func referencedBlobs(st *state.Store) map[string]bool {
	refs := map[string]bool{}
	add := func(h string) {
		if h != "" {
			refs[strings.TrimPrefix(h, "sha256:")] = true
		}
	}
	for _, c := range st.Checkpoints("") {
		add(c.ManifestHash)
		for _, h := range c.BlobHashes {
			add(h)
		}
	}
	for _, d := range st.Datasets() {
		add(d.ManifestHash)
		for _, h := range d.BlobHashes {
			add(h)
		}
	}
	for _, e := range st.Experiments() {
		add(e.CodeBundle)
		for _, a := range e.Artifacts {
			add(a.SHA256)
		}
	}
	for _, m := range st.AllModelVersions() {
		add(m.ONNXSHA256)
		add(m.CardSHA256)
		add(m.StatementSHA256)
		add(m.SignatureSHA256)
	}
	return refs
}
