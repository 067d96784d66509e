package validator

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/python"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/runtime/bundle"
	"github.com/dxtrain/dxtrain/trainer/runtime/channel"
	"github.com/dxtrain/dxtrain/trainer/runtime/gang"
)

// This file plays the agent's part of a torch run for the validator's tests, which
// cannot import the agent: the same launcher, channel and checkpoint files, so that
// what a replay reads is what an agent commits.

// torchRun is one experiment of a torch script whose checkpoints go to a store ledger,
// as `dxtrain train` keeps them, so that OpenStore reads it back.
type torchRun struct {
	store   storage.Store
	spec    *experiments.Spec
	bundle  string // the code bundle's SHA-256
	dataset string // the dataset manifest's SHA-256
}

// newTorchRun uploads code as the run's bundle and keeps its spec in the store; the
// run's entrypoint is train.py, run with args.
func newTorchRun(t *testing.T, store storage.Store, dataset, name, code string, args ...string) *torchRun {
	t.Helper()
	data, sha, err := bundle.Pack(code, bundle.DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Upload(t.Context(), store, data); err != nil {
		t.Fatal(err)
	}
	source := fmt.Sprintf("name: %s\nruntime: torch\ncode: {path: code, entrypoint: train.py, args: [%s]}\n"+
		"dataset: {id: wdbc}\nworkers: {min: 2, max: 2, device: cpu}\nsilence_timeout: 60s\n", name, `"`+strings.Join(args, `", "`)+`"`)
	spec, err := experiments.Parse([]byte(source), name+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.SaveSpec(t.Context(), store, spec.Hash(), []byte(source)); err != nil {
		t.Fatal(err)
	}
	return &torchRun{store: store, spec: spec, bundle: sha, dataset: dataset}
}

// attempt runs the script's two ranks as an agent would, resuming from resume (nil: a
// fresh start), and commits their checkpoints. Once a rank has reported a step at
// least stopAfter (0: never), every answer to a report or ping asks the ranks to
// stop, as the leader's request would. It returns the step rank 0 said it stopped at
// (-1: it did not stop) and the steps committed.
func (r *torchRun) attempt(t *testing.T, resume *checkpoint.Record, stopAfter int64) (stoppedAt int64, steps []int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	w := newReplayWork(t.TempDir())
	if err := bundle.Fetch(ctx, r.store, r.bundle, w.code, bundle.DefaultMaxBytes); err != nil {
		t.Fatal(err)
	}
	if err := python.Install(w.python); err != nil {
		t.Fatal(err)
	}
	if err := shards.Stage(ctx, r.store, r.dataset, w.data); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{w.checkpoints, w.logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	const world = 2
	h := &attemptHandler{t: t, run: r, world: world, stoppedAt: -1}
	var resumeInfo *channel.Resume
	if resume != nil {
		if _, err := checkpoint.LoadFiles(ctx, r.store, resume.ManifestSHA, w.resume); err != nil {
			t.Fatal(err)
		}
		resumeInfo = &channel.Resume{Step: resume.Step, Dir: w.resume, CheckpointID: resume.ManifestSHA, Metrics: resume.Metrics}
		h.parent = resume.ManifestSHA
	}
	secret, err := channel.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	var started atomic.Pointer[gang.Gang]
	srv, err := channel.Listen(channel.Config{Dir: w.root, Secret: secret, Ranks: []int{0, 1}, WorkDir: w.root, Handler: h,
		Info: func(rank int) (channel.HelloInfo, error) {
			return channel.HelloInfo{Experiment: r.spec.Name, Attempt: "attempt", Rank: rank, WorldSize: world, LocalRank: rank,
				Seed: r.spec.Seed, Dataset: channel.Dataset{Dir: w.data}, Resume: resumeInfo, CheckpointDir: w.checkpoints,
				MaxCheckpointBytes: 1 << 30}, nil
		},
		Stop: func() (channel.StopRequest, bool) {
			return channel.StopRequest{Reason: "preempt", Detail: "for a test"}, stopAfter > 0 && h.reported.Load() >= stopAfter
		},
		Stopped: h.stopped,
		Touch: func(rank int) {
			if g := started.Load(); g != nil {
				g.Touch(rank)
			}
		}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	marker := "attempt-" + secret[:16]
	cfg := gang.DefaultConfig()
	cfg.AttemptID, cfg.LogDir, cfg.SilenceTimeout, cfg.Logger = marker, w.logs, r.spec.Silence(), log
	for rank := range world {
		env := gang.RankEnv{Rank: rank, LocalRank: rank, WorldSize: world, LocalWorldSize: world, MasterAddr: "127.0.0.1",
			MasterPort: strconv.Itoa(port), Threads: 1, PythonPath: []string{w.python, w.code}, Socket: srv.Path(),
			Secret: secret, Experiment: r.spec.Name, Attempt: "attempt", Marker: marker, Device: "cpu", Seed: r.spec.Seed,
			WorkDir: w.root}
		argv := append([]string{debianPython, r.spec.Code.Entrypoint}, r.spec.Code.Args...)
		cfg.Processes = append(cfg.Processes, gang.Process{Rank: rank, Argv: argv, Dir: w.code, Env: env.Environ(r.spec.Env)})
	}
	g, err := gang.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	started.Store(g)
	if err := g.Wait(); err != nil {
		t.Fatalf("the attempt failed: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stoppedAt, h.steps
}

// attemptHandler is the agent's end of one attempt's channel: rank 0's checkpoints are
// uploaded and committed to the store ledger, each naming the one before as parent.
type attemptHandler struct {
	t        *testing.T
	run      *torchRun
	world    int
	reported atomic.Int64 // the highest step any rank reported

	mu        sync.Mutex
	parent    string
	steps     []int64
	stoppedAt int64
}

func (h *attemptHandler) Report(_ int, step int64, _ map[string]float64) {
	for cur := h.reported.Load(); step > cur && !h.reported.CompareAndSwap(cur, step); cur = h.reported.Load() {
	}
}

func (h *attemptHandler) Checkpoint(ctx context.Context, _ int, step int64, dir string, metrics map[string]float64) (channel.CheckpointResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := &checkpoint.FilesState{Experiment: h.run.spec.Name, Step: step, Parent: h.parent, WorldSize: h.world, Threads: 1,
		Metrics: maps.Clone(metrics), DatasetHash: h.run.dataset, SpecHash: h.run.spec.Hash(), CodeVersion: "test",
		CodeBundle: h.run.bundle, Seed: h.run.spec.Seed, Dir: dir}
	m, sha, err := checkpoint.SaveFiles(ctx, h.run.store, st, time.Now())
	if err != nil {
		return channel.CheckpointResult{}, err
	}
	if err := (checkpoint.StoreLedger{Store: h.run.store}).Commit(ctx, checkpoint.RecordOf(m, sha)); err != nil {
		return channel.CheckpointResult{}, err
	}
	h.parent = sha
	h.steps = append(h.steps, step)
	return channel.CheckpointResult{CheckpointID: sha, ManifestSHA256: sha}, nil
}

func (h *attemptHandler) ONNX(context.Context, int, string, string, string) (channel.ONNXResult, error) {
	return channel.ONNXResult{}, fmt.Errorf("the test script exports nothing")
}

func (h *attemptHandler) stopped(rank int, step int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rank == 0 {
		h.stoppedAt = step
	}
}

// debianPython is the interpreter with Debian's torch that make test installs.
const debianPython = "/usr/bin/python3"

// needTorch skips a test that starts Python ranks under -short, and fails one where
// Debian's torch is missing: make test installs it, and a replay test that cannot
// run must not pass.
func needTorch(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Python processes; skipped under -short")
	}
	if _, err := os.Stat(debianPython); err != nil {
		t.Fatalf("%s is missing: make test installs Debian's python3-numpy and python3-torch", debianPython)
	}
}

// ingestWDBC registers the WDBC dataset in the store and returns its manifest hash.
func ingestWDBC(t *testing.T, store storage.Store) string {
	t.Helper()
	res, err := ingest.Ingest(t.Context(), ingest.Config{SpecPath: "../datasets/specs/wdbc-ingest.yaml", Store: store,
		Registrar: ingest.NewLocalRegistry(store), Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	return res.ManifestSHA
}

// linksTo returns the session's links whose target is at one of steps.
func linksTo(t *testing.T, s *Session, steps ...int64) []Link {
	t.Helper()
	l, err := s.Lineage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []Link
	for _, link := range l.Links() {
		for _, step := range steps {
			if link.To.Step == step {
				out = append(out, link)
			}
		}
	}
	if len(out) != len(steps) {
		t.Fatalf("links to steps %v: found %d of %+v", steps, len(out), l.Links())
	}
	return out
}
