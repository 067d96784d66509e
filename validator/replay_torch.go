package validator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/python"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
	"github.com/dxtrain/dxtrain/trainer/runtime/bundle"
	"github.com/dxtrain/dxtrain/trainer/runtime/channel"
	"github.com/dxtrain/dxtrain/trainer/runtime/gang"
)

// errReplayReached ends a replay's ranks once the target checkpoint is handed over.
var errReplayReached = errors.New("the replay reached its target step")

// replayTorchLink runs the script of a torch run from link.From to link.To's step on
// this machine: the recorded code bundle, the dataset by its hash, the parent's files
// as ctx.resume(), the recorded world size as local ranks, the recorded thread count
// and deterministic kernels, on the CPU over gloo or one GPU per rank (opts.Device).
// The hello answer's stop_at_step makes ctx.should_stop(step) true at the target step,
// so a checkpoint the run took on a stop request, off its cadence, is reached again.
// When rank 0 hands over the target step's checkpoint the ranks are ended, and
// python3 -m dxtrain.compare compares it, tensor by tensor, with the committed one.
func (s *Session) replayTorchLink(ctx context.Context, link Link, opts ReplayOptions) (*loop.ReplayReport, error) {
	start := time.Now()
	from, err := checkpoint.LoadManifest(ctx, s.Store, link.From.ManifestHash)
	if err != nil {
		return nil, err
	}
	to, err := checkpoint.LoadManifest(ctx, s.Store, link.To.ManifestHash)
	if err != nil {
		return nil, err
	}
	if !from.IsTorch() || !to.IsTorch() {
		return nil, fmt.Errorf("replay %s → %s: not both torch checkpoints", Describe(link.From), Describe(link.To))
	}
	if to.CodeBundle != from.CodeBundle || to.DatasetHash != from.DatasetHash {
		return nil, fmt.Errorf("replay %s → %s: the checkpoints name different code bundles or datasets", Describe(link.From), Describe(link.To))
	}
	if to.SpecHash != s.Spec.Hash() { // the entrypoint, arguments, env and seed come from the spec
		return nil, fmt.Errorf("replay %s → %s: written by spec %.12s, the experiment's is %.12s", Describe(link.From), Describe(link.To), to.SpecHash, s.Spec.Hash())
	}
	root, err := os.MkdirTemp(opts.WorkDir, "dxtrain-replay-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	w := newReplayWork(root)
	if err := w.stage(ctx, s, to, link.From.ManifestHash, link.To.ManifestHash); err != nil {
		return nil, fmt.Errorf("replay %s → %s: %w", Describe(link.From), Describe(link.To), err)
	}
	opts.Device = replayDevice(opts.Device, s.Spec.Workers.Device, max(to.WorldSize, 1), nvidiaDevices())
	if err := s.runReplayRanks(ctx, link, to, w, opts); err != nil {
		return nil, fmt.Errorf("replay %s → %s: %w", Describe(link.From), Describe(link.To), err)
	}
	cmp, err := compareTorch(ctx, opts.Python, w, opts.Tolerance)
	if err != nil {
		return nil, fmt.Errorf("replay %s → %s: compare: %w", Describe(link.From), Describe(link.To), err)
	}
	rep := &loop.ReplayReport{Experiment: s.Spec.Name, FromStep: link.From.Step, ToStep: link.To.Step,
		FromSHA: link.From.ManifestHash, ToSHA: link.To.ManifestHash, WorldSize: to.WorldSize,
		Identical: cmp.Identical, Tensors: cmp.Tensors, Duration: time.Since(start),
		Runtime: checkpoint.RuntimeTorch, Device: opts.Device, TrainedOn: s.Spec.Workers.Device,
		MaxAbsDiff: cmp.MaxAbsDiff, Tolerance: opts.Tolerance, WithinTolerance: cmp.WithinTolerance}
	if d := cmp.First; d != nil {
		rep.Difference = &loop.Difference{Tensor: d.Name, Reason: d.Reason}
		if d.MaxAbsDiff != nil {
			rep.Difference.MaxAbsDiff = *d.MaxAbsDiff
		}
	}
	return rep, nil
}

// resolve fills in the defaults and finds the interpreter.
func (o *ReplayOptions) resolve() error {
	if o.Python == "" {
		o.Python = "python3"
	}
	py, err := exec.LookPath(o.Python)
	if err != nil {
		return fmt.Errorf("replay: the Python to run the script: %w", err)
	}
	o.Python = py
	switch o.Device {
	case "":
		o.Device = "auto"
	case "auto", "cpu", "gpu":
	default:
		return fmt.Errorf("replay device %q: want auto, cpu or gpu", o.Device)
	}
	return nil
}

// replayDevice is where a link replays: the chosen device, or for "auto" the GPUs when
// the run trained on GPUs and this machine has one for every rank, else the CPU.
func replayDevice(chosen, trainedOn string, world, gpus int) string {
	if chosen != "auto" {
		return chosen
	}
	if trainedOn == "gpu" && gpus >= world {
		return "gpu"
	}
	return "cpu"
}

// nvidiaDevices counts this machine's NVIDIA GPUs by their device files (/dev/nvidia0…),
// which exist wherever the driver does; no driver means no GPU to replay on.
func nvidiaDevices() int {
	matches, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(matches)
}

// replayWork is one replay's directory.
type replayWork struct {
	root, code, python, data, resume, recorded, checkpoints, replayed, logs string
}

func newReplayWork(root string) *replayWork {
	j := func(n string) string { return filepath.Join(root, n) }
	return &replayWork{root: root, code: j("code"), python: j("python"), data: j("data"), resume: j("resume"),
		recorded: j("recorded"), checkpoints: j("checkpoints"), replayed: j("replayed"), logs: j("logs")}
}

// stage fetches and verifies everything the ranks read: the code bundle, the dxtrain
// package, the dataset, the parent's files and the recorded child's.
func (w *replayWork) stage(ctx context.Context, s *Session, to *checkpoint.Manifest, fromSHA, toSHA string) error {
	if err := bundle.Fetch(ctx, s.Store, to.CodeBundle, w.code, bundle.DefaultMaxBytes); err != nil {
		return fmt.Errorf("code bundle: %w", err)
	}
	if info, err := os.Stat(filepath.Join(w.code, filepath.FromSlash(s.Spec.Code.Entrypoint))); err != nil || !info.Mode().IsRegular() {
		return fmt.Errorf("code.entrypoint %s is not a file in the code bundle %s", s.Spec.Code.Entrypoint, to.CodeBundle)
	}
	if err := python.Install(w.python); err != nil {
		return err
	}
	if err := shards.Stage(ctx, s.Store, to.DatasetHash, w.data); err != nil {
		return err
	}
	if _, err := checkpoint.LoadFiles(ctx, s.Store, fromSHA, w.resume); err != nil {
		return err
	}
	if _, err := checkpoint.LoadFiles(ctx, s.Store, toSHA, w.recorded); err != nil {
		return err
	}
	for _, d := range []string{w.checkpoints, w.logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// runReplayRanks launches the recorded world size as local ranks and waits until rank
// 0 hands over the target step's checkpoint (copied to w.replayed) or the ranks end.
func (s *Session) runReplayRanks(ctx context.Context, link Link, to *checkpoint.Manifest, w *replayWork, opts ReplayOptions) error {
	world := max(to.WorldSize, 1)
	secret, err := channel.NewSecret()
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	h := &replayHandler{target: link.To.Step, into: w.replayed, reached: make(chan struct{})}
	var started atomic.Pointer[gang.Gang]
	ranks := make([]int, world)
	for r := range ranks {
		ranks[r] = r
	}
	resume := &channel.Resume{Step: link.From.Step, Dir: w.resume, CheckpointID: link.From.ID, Metrics: link.From.Metrics}
	// The ledger does not say whether the target was checkpointed on the script's
	// cadence or on a stop request, so the script is always asked to stop there: a
	// script saves the same state at a step either way, and on the cadence it
	// checkpoints the step whatever should_stop answers.
	stopAt := link.To.Step
	srv, err := channel.Listen(channel.Config{Dir: w.root, Secret: secret, Ranks: ranks, WorkDir: w.root, Handler: h,
		Info: func(rank int) (channel.HelloInfo, error) {
			return channel.HelloInfo{Experiment: link.To.ExperimentID, Attempt: "replay", Rank: rank, WorldSize: world,
				LocalRank: rank, Seed: s.Spec.Seed, Dataset: channel.Dataset{Dir: w.data}, Resume: resume,
				CheckpointDir: w.checkpoints, MaxCheckpointBytes: 4 * totalBytes(to), StopAtStep: &stopAt}, nil
		},
		Touch: func(rank int) {
			if g := started.Load(); g != nil {
				g.Touch(rank)
			}
		}, Logger: opts.Logger})
	if err != nil {
		return err
	}
	defer srv.Close()
	marker := "replay-" + secret[:16]
	cfg := gang.DefaultConfig()
	cfg.AttemptID, cfg.LogDir, cfg.SilenceTimeout, cfg.Logger = marker, w.logs, s.Spec.Silence(), opts.Logger
	for r := range world {
		visible := ""
		if opts.Device == "gpu" {
			visible = strconv.Itoa(r)
		}
		env := gang.RankEnv{Rank: r, LocalRank: r, WorldSize: world, LocalWorldSize: world, MasterAddr: "127.0.0.1",
			MasterPort: strconv.Itoa(port), Threads: max(to.Threads, 1), PythonPath: []string{w.python, w.code},
			Socket: srv.Path(), Secret: secret, Experiment: link.To.ExperimentID, Attempt: "replay", Marker: marker,
			Device: opts.Device, VisibleDevices: visible, Seed: s.Spec.Seed, WorkDir: w.root}
		argv := append([]string{opts.Python, s.Spec.Code.Entrypoint}, s.Spec.Code.Args...)
		cfg.Processes = append(cfg.Processes, gang.Process{Rank: r, Argv: argv, Dir: w.code, Env: env.Environ(s.Spec.Env)})
	}
	g, err := gang.Start(ctx, cfg)
	if err != nil {
		return err
	}
	started.Store(g)
	select {
	case <-h.reached:
		g.Kill(errReplayReached)
		_ = g.Wait()
		return h.err
	case <-g.Done():
		err := g.Wait()
		if h.done() {
			return h.err
		}
		if err != nil {
			return fmt.Errorf("the script ended without checkpointing step %d: %v", link.To.Step, err)
		}
		return fmt.Errorf("the script exited without checkpointing step %d (%s)", link.To.Step, unreachedHint)
	}
}

// unreachedHint says why a script may not checkpoint the step a replay asked it to stop
// at: the usual cause is a script that asks should_stop() without its step.
const unreachedHint = "the replay asks the script to stop there through ctx.should_stop(step); " +
	"a checkpoint taken on a stop request is reached again only when the script passes its step, " +
	"or reports that step just before a bare should_stop(): python/PROTOCOL.md, \"Replays\""

// replayHandler is the channel's other end during a replay: reports are dropped, the
// target step's checkpoint is kept, nothing is uploaded or recorded.
type replayHandler struct {
	target  int64
	into    string
	reached chan struct{}
	once    sync.Once
	err     error
}

func (h *replayHandler) done() bool {
	select {
	case <-h.reached:
		return true
	default:
		return false
	}
}

func (h *replayHandler) Report(int, int64, map[string]float64) {}

func (h *replayHandler) Checkpoint(_ context.Context, _ int, step int64, dir string, _ map[string]float64) (channel.CheckpointResult, error) {
	switch {
	case step < h.target:
		return channel.CheckpointResult{}, nil // a step the run did not commit, or a retry: not this link's
	case step > h.target:
		h.finish(fmt.Errorf("the script checkpointed step %d, past the target step %d, without checkpointing the target (%s)", step, h.target, unreachedHint))
		return channel.CheckpointResult{}, h.err
	}
	h.finish(os.CopyFS(h.into, os.DirFS(dir)))
	return channel.CheckpointResult{}, h.err
}

func (h *replayHandler) finish(err error) {
	h.once.Do(func() {
		h.err = err
		close(h.reached)
	})
}

func (h *replayHandler) ONNX(context.Context, int, string, string, string) (channel.ONNXResult, error) {
	return channel.ONNXResult{}, nil // a replay exports nothing
}

// torchComparison is what python3 -m dxtrain.compare prints.
type torchComparison struct {
	Identical bool `json:"identical"`
	Tensors   int  `json:"tensors"`
	First     *struct {
		Name       string   `json:"name"`
		Reason     string   `json:"reason"`
		MaxAbsDiff *float64 `json:"max_abs_diff"`
	} `json:"first_difference"`
	MaxAbsDiff      float64 `json:"max_abs_diff"`
	WithinTolerance bool    `json:"within_tolerance"`
}

func compareTorch(ctx context.Context, py string, w *replayWork, tolerance float64) (*torchComparison, error) {
	cmd := exec.CommandContext(ctx, py, "-m", "dxtrain.compare", w.replayed, w.recorded,
		"--tolerance", strconv.FormatFloat(tolerance, 'g', -1, 64))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+w.python)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var c torchComparison
	if err := json.Unmarshal(out, &c); err != nil {
		return nil, fmt.Errorf("unreadable answer %q: %w", out, err)
	}
	return &c, nil
}

func totalBytes(m *checkpoint.Manifest) int64 {
	var n int64
	for _, b := range m.Blobs {
		n += b.Size
	}
	return max(n, 1<<20)
}

// freePort is a loopback port for the ranks' rendezvous.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
