package validator

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// This file checks that a validator replays a torch run's checkpoint taken on a stop
// request, off the script's cadence, with real processes (Debian's torch, gloo on the
// CPU); torchRun (torchrun_helpers_test.go) trains the runs as an agent would.

// stopReplayScript trains a linear model on WDBC with Adam, data-parallel over its
// ranks (gradients all-reduced by hand). It asks should_stop every step, passing the
// step unless its third argument is "bare" (a script written before should_stop took
// one), reports every 7 steps after asking, and checkpoints every sys.argv[2] steps,
// on a stop and at the end.
const stopReplayScript = `import sys
import torch
import torch.distributed as dist
import torch.nn.functional as F
import dxtrain

ctx = dxtrain.init()
torch.manual_seed(ctx.seed)
dist.init_process_group("gloo", rank=ctx.rank, world_size=ctx.world_size)
total, every, bare = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "bare"
ds = ctx.dataset
x, y = (torch.as_tensor(a) for a in ds.arrays("train"))
x = (x - torch.as_tensor(ds.stats.mean)) / torch.as_tensor(ds.stats.std)
net = torch.nn.Linear(ds.feature_shape[0], len(ds.classes))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
step = 0
r = ctx.resume()
if r is not None:
    state = r.load()
    net.load_state_dict(state["model"])
    opt.load_state_dict(state["optim"])
    step = state["step"]
while step < total:
    i = (step * 32) % (len(y) - 32) + 16 * ctx.rank
    loss = F.cross_entropy(net(x[i:i + 16]), y[i:i + 16])
    opt.zero_grad()
    loss.backward()
    for p in net.parameters():
        dist.all_reduce(p.grad)
        p.grad /= ctx.world_size
    opt.step()
    step += 1
    stop = step < total and (ctx.should_stop() if bare else ctx.should_stop(step))
    if step % 7 == 0:
        ctx.report(step, loss=float(loss))
    if stop or step % every == 0 or step == total:
        ctx.checkpoint(step, {"model": net.state_dict(), "optim": opt.state_dict(), "step": step}, loss=float(loss))
    if stop:
        ctx.stopped(step)
        break
dist.barrier()
dist.destroy_process_group()
`

// scriptDir is a code directory holding stopReplayScript as train.py.
func scriptDir(t *testing.T) string {
	t.Helper()
	code := t.TempDir()
	if err := os.WriteFile(filepath.Join(code, "train.py"), []byte(stopReplayScript), 0o644); err != nil {
		t.Fatal(err)
	}
	return code
}

// TestTorchReplayReachesAStopCheckpoint: a two-rank torch run checkpointing every 20
// steps is asked to stop after its report of step 49 and checkpoints step 50, off the
// cadence; a second attempt resumes there and finishes. The validator replays the
// link into the stop's checkpoint (40 → 50), the one out of it (50 → 60) and a
// cadence link (20 → 40, where the replay asks to stop too), each bit for bit.
func TestTorchReplayReachesAStopCheckpoint(t *testing.T) {
	needTorch(t)
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const every = 20
	run := newTorchRun(t, store, ingestWDBC(t, store), "torch-stop-replay", scriptDir(t), "80", strconv.Itoa(every), "step")
	stoppedAt, steps := run.attempt(t, nil, 49)
	if stoppedAt < 0 || stoppedAt%every == 0 || len(steps) == 0 || steps[len(steps)-1] != stoppedAt {
		t.Fatalf("attempt 1 stopped at step %d with checkpoints %v: want a stop off the cadence, checkpointed", stoppedAt, steps)
	}
	committed, err := checkpoint.StoreLedger{Store: store}.List(t.Context(), run.spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if again, steps := run.attempt(t, &committed[len(committed)-1], 0); again >= 0 || len(steps) == 0 || steps[len(steps)-1] != 80 {
		t.Fatalf("attempt 2 stopped at %d with checkpoints %v, want it to finish at 80", again, steps)
	}
	s, err := OpenStore(t.Context(), store, run.spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	next := (stoppedAt/every + 1) * every
	links := linksTo(t, s, stoppedAt-stoppedAt%every, stoppedAt, next)
	start := time.Now()
	results, err := s.Replay(t.Context(), links, ReplayOptions{Python: debianPython, Device: "cpu", WorkDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			t.Errorf("replay %d → %d: %v", r.Link.From.Step, r.Link.To.Step, r.Err)
		case !r.Report.Identical:
			t.Errorf("replay %d → %d is not bit-identical: %+v", r.Link.From.Step, r.Link.To.Step, r.Report.Difference)
		}
	}
	t.Logf("stopped at step %d; replayed %d links in %v", stoppedAt, len(results), time.Since(start).Round(time.Millisecond))
}

// TestTorchReplayOfABareShouldStopSaysWhy: the same run stopped at step 50, but its
// script asks should_stop() without the step and reports only after asking, so in
// the replay it cannot tell that it is at step 50. The replay runs past the stop's
// checkpoint and says so, naming the target and how a script lets a replay stop there.
func TestTorchReplayOfABareShouldStopSaysWhy(t *testing.T) {
	needTorch(t)
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const every = 20
	run := newTorchRun(t, store, ingestWDBC(t, store), "torch-stop-bare", scriptDir(t), "80", strconv.Itoa(every), "bare")
	stoppedAt, steps := run.attempt(t, nil, 49)
	if stoppedAt < 0 || stoppedAt%every == 0 || stoppedAt%7 == 0 {
		t.Fatalf("the attempt stopped at step %d with checkpoints %v: want a stop off the cadence and the reports", stoppedAt, steps)
	}
	s, err := OpenStore(t.Context(), store, run.spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	results, err := s.Replay(t.Context(), linksTo(t, s, stoppedAt), ReplayOptions{Python: debianPython, Device: "cpu", WorkDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("past the target step %d, without checkpointing the target (the replay asks the script to stop there through ctx.should_stop(step)", stoppedAt)
	if r := results[0]; r.Err == nil || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("replay into the stop's checkpoint at step %d: %v, want an error containing %q", stoppedAt, r.Err, want)
	}
	t.Logf("%v", results[0].Err)
}

// TestTorchReplayReachesTheWDBCExampleStop: examples/torch/wdbc_mlp on two ranks
// (DistributedDataParallel over gloo), validating and reporting every epoch of 13
// steps, is asked to stop after its first report past step 20 (step 26); it
// checkpoints step 27, off its cadence of 20. The validator replays the link into
// that checkpoint (20 → 27) bit for bit.
func TestTorchReplayReachesTheWDBCExampleStop(t *testing.T) {
	needTorch(t)
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const every = 20
	run := newTorchRun(t, store, ingestWDBC(t, store), "wdbc-mlp-stop", "../examples/torch/wdbc_mlp",
		"--epochs", "6", "--checkpoint-every", strconv.Itoa(every), "--eval-every", "1")
	stoppedAt, steps := run.attempt(t, nil, every)
	if stoppedAt < every || stoppedAt%every == 0 {
		t.Fatalf("the example stopped at step %d with checkpoints %v: want a stop off the cadence, after a checkpoint", stoppedAt, steps)
	}
	s, err := OpenStore(t.Context(), store, run.spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	results, err := s.Replay(t.Context(), linksTo(t, s, stoppedAt), ReplayOptions{Python: debianPython, Device: "cpu", WorkDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Err != nil || !r.Report.Identical {
		t.Fatalf("replay %d → %d: %v %+v", r.Link.From.Step, r.Link.To.Step, r.Err, r.Report)
	}
	t.Logf("stopped at step %d (checkpoints %v); replayed %d → %d bit for bit in %v", stoppedAt, steps, results[0].Link.From.Step, stoppedAt, results[0].Report.Duration.Round(time.Millisecond))
}
