package integration

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// debianPython is the interpreter with Debian's torch and numpy (make test installs
// them); the first python3 on PATH may be another one.
const debianPython = "/usr/bin/python3"

// devCluster is `dxtrain dev` as a process, with the CLI environment to reach it.
type devCluster struct {
	t     *testing.T
	dir   string
	proc  *proc
	env   []string
	admin *client.Client
	store storage.Store
}

func startDev(t *testing.T, extra ...string) *devCluster {
	t.Helper()
	if _, err := os.Stat(debianPython); err != nil {
		t.Fatalf("%s is missing: make test installs Debian's python3-torch and python3-numpy", debianPython)
	}
	dir := t.TempDir()
	addr := freePort(t)
	args := append([]string{"dev", "--data-dir", filepath.Join(dir, "dev"), "--agents", "2", "--http-addr", addr,
		"--python", debianPython}, extra...)
	d := &devCluster{t: t, dir: dir, proc: newProc(t, dir, "dev", nil, args...)}
	tokenPath, envPath := filepath.Join(dir, "dev", "token"), filepath.Join(dir, "dev", "env")
	testutil.WaitFor(t, 30*time.Second, "the dev cluster's token and env file", func() (bool, string) {
		b, err := os.ReadFile(tokenPath)
		if err != nil || len(b) == 0 {
			return false, fmt.Sprint(err)
		}
		_, err = os.Stat(envPath)
		return err == nil, fmt.Sprint(err)
	})
	token, _ := os.ReadFile(tokenPath)
	tok := strings.TrimSpace(string(token))
	storeDir := filepath.Join(dir, "dev", "store")
	exported := devExports(t, envPath)
	d.env = append(exported.list(), "DXTRAIN_TOKEN="+tok, "DXTRAIN_STORE=file://"+storeDir)
	src, err := pki.Load(pki.Files{CA: exported["DXTRAIN_CACERT"], Cert: exported["DXTRAIN_CLIENT_CERT"], Key: exported["DXTRAIN_CLIENT_KEY"]})
	if err != nil {
		t.Fatal(err)
	}
	if d.admin, err = client.New([]string{exported["DXTRAIN_ADDR"]}, tok, client.WithTLS(src.ClientConfig(pki.RoleServer))); err != nil {
		t.Fatal(err)
	}
	kek, err := storage.LoadKEKFile(exported["DXTRAIN_STORE_KEK_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	if d.store, err = storage.Open(t.Context(), "file://"+storeDir, storage.Config{KEK: kek}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 30*time.Second, "two dev agents up", func() (bool, string) {
		nodes, err := d.admin.Nodes(t.Context())
		return err == nil && len(nodes) == 2, fmt.Sprint(len(nodes), err)
	})
	return d
}

// exports are the plain KEY=value settings of a shell file `dxtrain dev` writes.
type exports map[string]string

// devExports reads <data-dir>/env: its address, TLS files and store key (the token
// line is a command substitution; startDev reads the token file itself).
func devExports(t *testing.T, path string) exports {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := exports{}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			if k, v, ok := strings.Cut(kv, "="); ok && !strings.HasPrefix(v, "\"") {
				out[k] = v
			}
		}
	}
	for _, k := range []string{"DXTRAIN_ADDR", "DXTRAIN_CACERT", "DXTRAIN_CLIENT_CERT", "DXTRAIN_CLIENT_KEY", "DXTRAIN_STORE_KEK_FILE"} {
		if out[k] == "" {
			t.Fatalf("%s sets no %s:\n%s", path, k, b)
		}
	}
	return out
}

// list is the settings as environment entries.
func (e exports) list() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func (d *devCluster) cli(args ...string) string { d.t.Helper(); return runCLI(d.t, d.env, args...) }

// ingestLesions writes the synthetic lesion images and ingests them as "lesions".
func (d *devCluster) ingestLesions(rows int) {
	d.t.Helper()
	out := filepath.Join(d.dir, "lesions")
	d.cli("datasets", "synth", "--images", "--out", out, "--rows", strconv.Itoa(rows))
	d.cli("datasets", "ingest", filepath.Join(out, "lesions-ingest.yaml"))
}

// submit writes a torch spec around code (a directory) and runs it detached.
func (d *devCluster) submit(name, code, entrypoint string, args []string, extra string) string {
	d.t.Helper()
	return d.submitOn("lesions", name, code, entrypoint, args, extra)
}

// submitOn is submit on another ingested dataset.
func (d *devCluster) submitOn(dataset, name, code, entrypoint string, args []string, extra string) string {
	d.t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = strconv.Quote(a)
	}
	spec := fmt.Sprintf(`name: %s
runtime: torch
code:
  path: %s
  entrypoint: %s
  args: [%s]
dataset:
  id: %s
workers: {min: 1, max: 2, device: cpu}
seed: 42
%s`, name, code, entrypoint, strings.Join(quoted, ", "), dataset, extra)
	path := filepath.Join(d.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		d.t.Fatal(err)
	}
	out := strings.Fields(d.cli("run", path, "--detach"))
	return out[len(out)-1]
}

func (d *devCluster) wait(id string, timeout time.Duration) *structs.Experiment {
	d.t.Helper()
	var exp *structs.Experiment
	testutil.WaitFor(d.t, timeout, "experiment "+id+" to end", func() (bool, string) {
		e, err := d.admin.Experiment(d.t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		exp = e
		return structs.ExperimentTerminal(e.Status), e.Status + " " + e.StatusReason
	})
	return exp
}

// processesWith lists the PIDs whose environment holds every one of kvs.
func processesWith(kvs ...string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		vars := "\x00" + string(env)
		all := true
		for _, kv := range kvs {
			all = all && strings.Contains(vars, "\x00"+kv+"\x00")
		}
		if all {
			pids = append(pids, pid)
		}
	}
	return pids
}

func repoPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTorchLesionsKillRank is issue 13's run: the example ResNet trains data-parallel
// with 2 ranks (one per agent) over gloo; kill -9 of rank 1 mid-run ends the whole gang
// within 5 s, attempt 2 resumes from the last committed checkpoint, and the run
// succeeds with the accuracy the example states, an ONNX model ONNX Runtime runs,
// both ranks' logs and the reported metrics.
func TestTorchLesionsKillRank(t *testing.T) {
	needProcesses(t)
	d := startDev(t)
	d.ingestLesions(2000)
	id := d.submit("lesions", repoPath(t, "examples/torch/lesions_resnet"), "train.py",
		[]string{"--epochs", "6", "--checkpoint-every", "20"}, "max_restarts: 2\nsilence_timeout: 2m\ncheckpoint: {keep_last: 50}\n")

	// Two committed checkpoints, then kill rank 1's process.
	testutil.WaitFor(t, 3*time.Minute, "two checkpoints", func() (bool, string) {
		cps, err := d.admin.Checkpoints(t.Context(), id)
		return err == nil && len(cps) >= 2, fmt.Sprint(len(cps), err)
	})
	atts, err := d.admin.Attempts(t.Context(), id)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attempts %v, %v", atts, err)
	}
	first := atts[0]
	rank1 := processesWith("DXTRAIN_ATTEMPT_ID="+first.ID, "RANK=1")
	if len(rank1) != 1 {
		t.Fatalf("want one rank-1 process of attempt %s, found %v", first.ID, rank1)
	}
	if err := syscall.Kill(rank1[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	testutil.WaitFor(t, 5*time.Second, "every process of attempt 1 to be gone", func() (bool, string) {
		left := processesWith("DXTRAIN_ATTEMPT_ID=" + first.ID)
		return len(left) == 0, fmt.Sprint(left)
	})
	t.Logf("all ranks of attempt 1 gone %v after the kill", time.Since(killed).Round(time.Millisecond))

	exp := d.wait(id, 4*time.Minute)
	if exp.Status != structs.ExperimentSucceeded {
		t.Fatalf("experiment %s: %s", exp.Status, exp.StatusReason)
	}
	atts, _ = d.admin.Attempts(t.Context(), id)
	if len(atts) != 2 || !strings.Contains(atts[0].EndReason, "rank 1") || !strings.Contains(atts[0].EndReason, "signal 9") {
		t.Fatalf("attempts: %s", attemptsString(atts))
	}
	cps, _ := d.admin.Checkpoints(t.Context(), id)
	resumed, err := d.admin.Checkpoint(t.Context(), atts[1].ResumeFrom)
	if err != nil || resumed.AttemptID != first.ID {
		t.Fatalf("attempt 2 resumed from %q (%v), want a checkpoint of attempt 1", atts[1].ResumeFrom, err)
	}
	for _, c := range cps {
		if c.AttemptID == first.ID && c.Step > resumed.Step {
			t.Errorf("attempt 2 resumed from step %d, but attempt 1 had committed step %d", resumed.Step, c.Step)
		}
	}

	// The accuracy the example's README states, on its test split.
	if acc := exp.Progress.Metrics["test_accuracy"]; acc < 0.85 {
		t.Errorf("test accuracy %.4f, the example states ≥ 0.85 (metrics %v)", acc, exp.Progress.Metrics)
	}
	// The ONNX model the script saved runs in ONNX Runtime.
	if len(exp.Artifacts) == 0 || exp.Artifacts[len(exp.Artifacts)-1].MaxDiff > 1e-4 {
		t.Fatalf("artifacts %+v", exp.Artifacts)
	}
	model, err := storage.GetBlob(t.Context(), d.store, exp.Artifacts[len(exp.Artifacts)-1].SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if out, err := sess.Run(make([]float32, 3*sess.InputSize()), 3); err != nil || len(out) != 3*2 {
		t.Fatalf("ONNX Runtime: %d outputs, %v", len(out), err)
	}

	// Both ranks' logs of the two-rank attempt. The resumed attempt may have one rank:
	// a node not heard from since the failure is left out of the next placement
	// (coordinator/placement_guard.go), and the run's workers go down to one.
	logs := d.cli("logs", id, "--attempt", "1")
	for _, want := range []string{"[rank 0] ", "[rank 1] "} {
		if !strings.Contains(logs, want) {
			t.Errorf("dxtrain logs --attempt 1 lacks %q:\n%s", want, logs)
		}
	}
	if logs := d.cli("logs", id); !strings.Contains(logs, "test_accuracy=") {
		t.Errorf("dxtrain logs of the last attempt lacks test_accuracy=:\n%s", logs)
	}
	if follow := d.cli("logs", id, "--rank", "0", "--follow"); !strings.Contains(follow, "test_accuracy=") {
		t.Errorf("dxtrain logs --rank 0 --follow of an ended attempt:\n%s", follow)
	}
	show := d.cli("experiments", "show", id)
	for _, want := range []string{"VAL_ACCURACY", "TEST_ACCURACY", "model.onnx", "code bundle"} {
		if !strings.Contains(show, want) {
			t.Errorf("experiments show lacks %q:\n%s", want, show)
		}
	}
	d.cli("checkpoints", "verify", id)

	// Issue 14: the validator replays every committed link of the run (all are kept) —
	// across the restart — by running the script again from each parent, bit for bit.
	replayStart := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	replay, err := commandOutput(ctx, d.env, "checkpoints", "replay", id, "--all", "--python", debianPython)
	if err != nil {
		t.Fatalf("replay --all: %v\n%s", err, replay)
	}
	cps, _ = d.admin.Checkpoints(t.Context(), id)
	links := strings.Count(replay, ": bit-identical (")
	if links < 2 || !strings.Contains(replay, fmt.Sprintf("%d of %d links bit-identical", links, links)) ||
		!strings.Contains(replay, "torch on cpu, trained on cpu") {
		t.Fatalf("replay --all of %d retained checkpoints:\n%s", len(cps), replay)
	}
	crossed := false
	for _, c := range cps {
		crossed = crossed || c.AttemptID == atts[1].ID && strings.Contains(replay, fmt.Sprintf("→ step %d (%.12s)", c.Step, c.ManifestHash)) &&
			strings.Contains(replay, fmt.Sprintf("step %d (%.12s) →", resumed.Step, resumed.ManifestHash))
	}
	if !crossed {
		t.Errorf("replay --all did not replay a link across the restart from step %d:\n%s", resumed.Step, replay)
	}
	stepMS := 0.0
	for _, p := range exp.Series {
		if v, ok := p.Metrics["step_time_ms"]; ok {
			stepMS = v // the last training report's
		}
	}
	t.Logf("replayed %d links in %v (training's step_time_ms %.1f):\n%s", links, time.Since(replayStart).Round(time.Millisecond), stepMS, replay)

	// The clinical report of the final checkpoint, through the ONNX model exported with
	// it in ONNX Runtime (not PyTorch), agrees with the script's own test metrics; a
	// checkpoint exported with no model is refused.
	final := cps[len(cps)-1]
	report := d.cli("checkpoints", "evaluate", id, "--step", final.ManifestHash[:12], "--json")
	var clinical struct {
		N       int `json:"n"`
		Overall struct {
			Binary *struct {
				AUROC struct {
					Estimate float64 `json:"estimate"`
					Lower    float64 `json:"ci_lower"`
					Upper    float64 `json:"ci_upper"`
				} `json:"auroc"`
			} `json:"binary"`
		} `json:"overall"`
	}
	if err := json.Unmarshal([]byte(report), &clinical); err != nil || clinical.Overall.Binary == nil {
		t.Fatalf("evaluate: %v\n%s", err, report)
	}
	auroc := clinical.Overall.Binary.AUROC
	if want := exp.Progress.Metrics["test_auroc"]; math.Abs(auroc.Estimate-want) > 1e-3 || auroc.Lower > auroc.Estimate || clinical.N != 300 {
		t.Errorf("evaluate through ONNX Runtime: AUROC %.4f [%.4f, %.4f] on %d images; the script measured %.4f", auroc.Estimate, auroc.Lower, auroc.Upper, clinical.N, want)
	}
	if out, err := commandOutput(t.Context(), d.env, "checkpoints", "evaluate", id, "--step", cps[0].ManifestHash[:12]); err == nil ||
		!strings.Contains(out, "no ONNX model was exported with this checkpoint") {
		t.Errorf("evaluate of a checkpoint with no export: %v\n%s", err, out)
	}

	// Released as a trust receives native models: the script's ONNX checked again
	// against its PyTorch samples, the card naming the runtime, code bundle and
	// framework, signed; pulled and verified by hash and signature.
	keys := filepath.Join(d.dir, "keys")
	d.cli("keys", "generate", "--out", keys, "--name", "approver")
	if out, err := commandOutput(t.Context(), d.env, "models", "release", id, "--checkpoint", cps[0].ManifestHash[:12], "--name", "lesions",
		"--key", filepath.Join(keys, "approver.key"), "--allow-unknown-code-version"); err == nil || !strings.Contains(out, "no ONNX model was exported") {
		t.Errorf("release of a checkpoint with no export: %v\n%s", err, out)
	}
	// (--allow-unknown-code-version: the test's binary is built from a checkout that may
	// hold uncommitted changes.)
	released := d.cli("models", "release", id, "--checkpoint", final.ManifestHash[:12], "--name", "lesions", "--key", filepath.Join(keys, "approver.key"),
		"--allow-unknown-code-version")
	if !strings.Contains(released, "lesions@1") || !strings.Contains(released, "test AUROC") {
		t.Fatalf("models release:\n%s", released)
	}
	pulled := filepath.Join(d.dir, "pulled")
	d.cli("models", "pull", "lesions@1", "--pubkey", filepath.Join(keys, "approver.pub"), "--out", pulled)
	d.cli("models", "verify", pulled, "--pubkey", filepath.Join(keys, "approver.pub"), "--runtime")
	card, err := os.ReadFile(filepath.Join(pulled, "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"runtime": "torch"`, `"code_bundle_sha256": "` + exp.CodeBundle, `"framework": "pytorch `} {
		if !strings.Contains(string(card), want) {
			t.Errorf("the card lacks %s:\n%s", want, card)
		}
	}
	// A trust runs the pulled release on the test split's images (an IDX file, as
	// datasets ingest reads): its AUROC is the clinical report's.
	m, err := checkpoint.LoadManifest(t.Context(), d.store, final.ManifestHash)
	if err != nil {
		t.Fatal(err)
	}
	held, err := loop.LoadIngestedHeldOut(t.Context(), d.store, m.DatasetHash)
	if err != nil {
		t.Fatal(err)
	}
	images := filepath.Join(d.dir, "test-images-idx3-ubyte")
	if err := os.WriteFile(images, idxFloat32(held.Test.Raw, held.Test.N, held.InputShape), 0o600); err != nil {
		t.Fatal(err)
	}
	var preds []struct {
		Probabilities map[string]float32 `json:"probabilities"`
	}
	out := d.cli("predict", "--model", pulled, "--pubkey", filepath.Join(keys, "approver.pub"), "--input", images, "--json")
	if err := json.Unmarshal([]byte(out), &preds); err != nil || len(preds) != held.Test.N {
		t.Fatalf("predict: %d rows for %d images, %v", len(preds), held.Test.N, err)
	}
	positive := make([]float32, len(preds))
	for i, p := range preds {
		positive[i] = p.Probabilities[held.Classes[len(held.Classes)-1]]
	}
	if got, err := metrics.AUROC(positive, held.Test.Y); err != nil || math.Abs(got-auroc.Estimate) > 1e-9 {
		t.Errorf("the trust's AUROC on the test images %.6f (%v), the release's evaluation %.6f", got, err, auroc.Estimate)
	}
	// A pulled file altered on the trust's disk is refused.
	onnxPath := filepath.Join(pulled, "model.onnx")
	tampered, err := os.ReadFile(onnxPath)
	if err != nil {
		t.Fatal(err)
	}
	tampered[len(tampered)/2] ^= 1
	if err := os.WriteFile(onnxPath, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := commandOutput(t.Context(), d.env, "models", "verify", pulled, "--pubkey", filepath.Join(keys, "approver.pub")); err == nil {
		t.Errorf("models verify accepted a tampered model.onnx:\n%s", out)
	}
}

// idxFloat32 writes n images of shape as an IDX float32 file, big-endian.
func idxFloat32(x []float32, n int, shape []int) []byte {
	out := []byte{0, 0, 0x0D, byte(1 + len(shape))}
	for _, d := range append([]int{n}, shape...) {
		out = binary.BigEndian.AppendUint32(out, uint32(d))
	}
	for _, v := range x {
		out = binary.BigEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// TestTorchWDBCReplay: example (a), the PyTorch MLP on the ingested WDBC data, trains
// data-parallel on 2 ranks and replays bit for bit on every link.
func TestTorchWDBCReplay(t *testing.T) {
	needProcesses(t)
	d := startDev(t)
	d.cli("datasets", "ingest", repoPath(t, "datasets/specs/wdbc-ingest.yaml"))
	id := d.submitOn("wdbc", "wdbc-mlp", repoPath(t, "examples/torch/wdbc_mlp"), "train.py",
		[]string{"--epochs", "6", "--checkpoint-every", "20"}, "checkpoint: {keep_last: 50}\n")
	if exp := d.wait(id, 3*time.Minute); exp.Status != structs.ExperimentSucceeded {
		t.Fatalf("%s %q", exp.Status, exp.StatusReason)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	out, err := commandOutput(ctx, d.env, "checkpoints", "replay", id, "--all", "--python", debianPython)
	cps, _ := d.admin.Checkpoints(t.Context(), id)
	if n := len(cps) - 1; err != nil || n < 3 || !strings.Contains(out, fmt.Sprintf("%d of %d links bit-identical", n, n)) {
		t.Fatalf("replay --all of %d checkpoints: %v\n%s", len(cps), err, out)
	}
	t.Logf("%s", out)
}

// TestTorchBadScripts: a script that never reports, one whose checkpoint is over the
// agents' limit, one that forks a child into its own session and exits, and one whose
// entrypoint does not exist each end with a clear cause, and nothing is left running.
func TestTorchBadScripts(t *testing.T) {
	needProcesses(t)
	d := startDev(t, "--max-checkpoint-bytes", "100000")
	d.ingestLesions(200)
	code := t.TempDir()
	scripts := map[string]string{
		"silent.py": "import time, dxtrain\nctx = dxtrain.init()\nprint('silent', ctx.rank, flush=True)\ntime.sleep(600)\n",
		"bigckpt.py": "import os, dxtrain\nctx = dxtrain.init()\nd = os.path.join(ctx.checkpoint_dir, 'big')\nos.makedirs(d)\n" +
			"open(os.path.join(d, 'w.bin'), 'wb').write(os.urandom(200000))\nctx.checkpoint(1, d)\n",
		"forker.py": "import subprocess, dxtrain\nctx = dxtrain.init()\nctx.report(1, loss=1.0)\n" +
			"subprocess.Popen(['sleep', '600'], start_new_session=True)\nprint('forked', flush=True)\n",
		// Weights drawn from the OS's entropy: a run no replay can reproduce.
		"unreplayable.py": "import os, torch, dxtrain\nctx = dxtrain.init()\nr = ctx.resume()\nstart = r.step if r else 0\n" +
			"for step in (start + 1, start + 2):\n" +
			"    g = torch.Generator().manual_seed(int.from_bytes(os.urandom(7), 'little'))\n" +
			"    ctx.report(step, loss=1.0)\n    ctx.checkpoint(step, {'w': torch.rand(4, generator=g)})\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(code, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		script, status, reason string
	}{
		{"silent.py", structs.ExperimentFailed, "sent nothing"},
		{"bigckpt.py", structs.ExperimentFailed, "limit is 100000 bytes"},
		{"forker.py", structs.ExperimentSucceeded, ""},
	}
	for _, tc := range cases {
		t.Run(tc.script, func(t *testing.T) {
			name := strings.TrimSuffix(tc.script, ".py")
			id := d.submit(name, code, tc.script, nil, "max_restarts: 0\nsilence_timeout: 3s\n")
			exp := d.wait(id, 2*time.Minute)
			atts, _ := d.admin.Attempts(t.Context(), id)
			if exp.Status != tc.status || len(atts) != 1 || !strings.Contains(atts[0].EndReason+exp.StatusReason, tc.reason) {
				t.Fatalf("%s: %s %q; attempts %s", tc.script, exp.Status, exp.StatusReason, attemptsString(atts))
			}
			testutil.WaitFor(t, 5*time.Second, "no process of the attempt left", func() (bool, string) {
				left := processesWith("DXTRAIN_ATTEMPT_ID=" + atts[0].ID)
				return len(left) == 0, fmt.Sprint(left)
			})
			if cps, _ := d.admin.Checkpoints(t.Context(), id); len(cps) != 0 {
				t.Errorf("%d checkpoints committed", len(cps))
			}
		})
	}
	// Issue 14: a script that does not replay is reported as such, on its first link.
	t.Run("unreplayable.py", func(t *testing.T) {
		id := d.submit("unreplayable", code, "unreplayable.py", nil, "max_restarts: 0\n")
		if exp := d.wait(id, 2*time.Minute); exp.Status != structs.ExperimentSucceeded {
			t.Fatalf("%s %q", exp.Status, exp.StatusReason)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		out, err := commandOutput(ctx, d.env, "checkpoints", "replay", id, "--all", "--python", debianPython)
		for _, want := range []string{"warning: the first link replayed differs", "0 of 1 links reproduced",
			"not reproducible: first difference in state.pt.w: values differ"} {
			if err == nil || !strings.Contains(out, want) {
				t.Errorf("replay of an unreplayable script: %v; want %q in:\n%s", err, want, out)
			}
		}
	})

	// A spec whose entrypoint is not in its code directory is refused before submission.
	spec := filepath.Join(d.dir, "missing.yaml")
	os.WriteFile(spec, []byte("name: missing\nruntime: torch\ncode: {path: "+code+", entrypoint: nope.py}\ndataset: {id: lesions}\n"), 0o644)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := commandOutput(ctx, d.env, "run", spec)
	if err == nil || !strings.Contains(out, "code.entrypoint nope.py is not a file") {
		t.Errorf("missing entrypoint: %v\n%s", err, out)
	}
}

// commandOutput runs one dxtrain command that may fail and returns its combined output.
func commandOutput(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTorchAgentKill: kill -9 of an agent mid-run. Its rank dies with it (the kernel's
// parent-death signal), the coordinator marks the node down and fails the attempt, the
// other agent kills its rank, and attempt 2 resumes on the surviving node alone from
// the last committed checkpoint (the world shrinks from 2 ranks to 1) and succeeds.
func TestTorchAgentKill(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 1, clusterOptions{NodeHeartbeatTimeout: 2 * time.Second})
	root := t.TempDir()
	for _, id := range []string{"agent-1", "agent-2"} {
		c.agents[id] = newProc(t, c.logDir, id, []string{"DXTRAIN_TOKEN=" + c.agentToken},
			append([]string{"agent", "--addr", c.addrList(), "--node-id", id, "--store", "file://" + c.storeDir,
				"--python", debianPython, "--cpus", "1", "--work-dir", filepath.Join(root, id)}, c.pki.flags(pki.RoleAgent, id)...)...)
	}
	testutil.WaitFor(t, 20*time.Second, "two agents up", func() (bool, string) {
		nodes, err := c.admin.Nodes(t.Context())
		return err == nil && len(nodes) == 2, fmt.Sprint(len(nodes), err)
	})
	d := &devCluster{t: t, dir: root, admin: c.admin,
		env: c.cliEnv("DXTRAIN_ADDR="+c.addrList(), "DXTRAIN_TOKEN="+c.adminToken, "DXTRAIN_STORE=file://"+c.storeDir)}
	d.ingestLesions(2000)
	id := d.submit("lesions-agent-kill", repoPath(t, "examples/torch/lesions_resnet"), "train.py",
		[]string{"--epochs", "6", "--checkpoint-every", "10"}, "max_restarts: 2\n")
	spec := filepath.Join(root, "lesions-agent-kill.yaml")
	b, _ := os.ReadFile(spec)
	if !strings.Contains(string(b), "min: 1, max: 2") {
		t.Fatalf("spec %s", b)
	}
	testutil.WaitFor(t, 3*time.Minute, "two checkpoints", func() (bool, string) {
		cps, err := c.admin.Checkpoints(t.Context(), id)
		return err == nil && len(cps) >= 2, fmt.Sprint(len(cps), err)
	})
	first := c.runningAttempt(id, 1, time.Second)
	victim := first.Ranks[1].NodeID
	killed := time.Now()
	c.agents[victim].kill()
	testutil.WaitFor(t, 5*time.Second, "the killed agent's rank to die with it", func() (bool, string) {
		left := processesWith("DXTRAIN_GANG_ID=" + first.ID + "@" + victim)
		return len(left) == 0, fmt.Sprint(left)
	})
	testutil.WaitFor(t, 10*time.Second, "every rank of attempt 1 gone", func() (bool, string) {
		left := processesWith("DXTRAIN_ATTEMPT_ID=" + first.ID)
		return len(left) == 0, fmt.Sprint(left)
	})
	t.Logf("all ranks of attempt 1 gone %v after kill -9 of %s (node heartbeat timeout 2 s)", time.Since(killed).Round(time.Millisecond), victim)
	exp := d.wait(id, 4*time.Minute)
	atts, _ := c.admin.Attempts(t.Context(), id)
	if exp.Status != structs.ExperimentSucceeded || len(atts) != 2 || len(atts[1].Ranks) != 1 || atts[1].Ranks[0].NodeID == victim {
		t.Fatalf("experiment %s %q; attempts %s", exp.Status, exp.StatusReason, attemptsString(atts))
	}
	resumed, err := c.admin.Checkpoint(t.Context(), atts[1].ResumeFrom)
	if err != nil || resumed.AttemptID != first.ID || resumed.WorldSize != 2 {
		t.Fatalf("attempt 2 resumed from %+v (%v), want a 2-rank checkpoint of attempt 1", resumed, err)
	}
	if acc := exp.Progress.Metrics["test_accuracy"]; acc < 0.85 {
		t.Errorf("test accuracy %.4f after the restart on one rank", acc)
	}
}
