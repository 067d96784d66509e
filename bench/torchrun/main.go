// Command torchrun measures what dxtrain's torch runtime costs a researcher's PyTorch
// script (issue 13's figures), in one run on this machine: the example lesion ResNet
// (examples/torch/lesions_resnet) trained data-parallel on `world` ranks
//
//   - bare: the ranks started by hand as torchrun would, with the same environment and
//     the dataset staged on disk (the script's standalone mode), no agent;
//   - dxtrain: submitted with `dxtrain run` to `dxtrain dev` (one agent per rank), no
//     checkpoint but the final one;
//   - dxtrain + checkpoints: the same with a checkpoint about every --interval, each
//     uploaded, read back and committed through Raft before the script goes on,
//     against bare ranks with the same arguments (saving to local disk).
//
// Runs are interleaved in rounds, so slow drift of a shared machine hits all three
// alike; the table gives the medians. Each run's time is the script's own wall time
// of the training loop (train_seconds: every step, the per-epoch validation and the
// checkpoints), and its mean step time (step_time_ms, the steps alone). Also: the time
// from `dxtrain run` to the first training step, split into scheduling and launch.
//
// It needs a built bin/dxtrain and Debian's python3-torch; `make bench` runs it.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

type options struct {
	bin, python, device string
	world, rows, epochs int
	rounds              int
	interval            time.Duration
	repo                string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/dxtrain", "the dxtrain binary")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "the Python with torch")
	flag.StringVar(&o.device, "device", "cpu", "cpu (gloo) or gpu (NCCL; one rank per GPU, one agent)")
	flag.IntVar(&o.world, "world", 2, "ranks")
	flag.IntVar(&o.rows, "rows", 6000, "synthetic lesion images (70% train)")
	flag.IntVar(&o.epochs, "epochs", 8, "epochs per run")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds of the four runs")
	flag.DurationVar(&o.interval, "interval", 10*time.Second, "target time between checkpoints")
	flag.Parse()
	var err error
	if o.repo, err = os.Getwd(); err != nil {
		fail(err)
	}
	if err := run(context.Background(), o); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/torchrun:", err)
	os.Exit(1)
}

// result is one timed run.
type result struct {
	trainSeconds float64
	stepMS       float64 // mean of the script's step_time_ms windows
	steps        int64
	checkpoints  int
	accuracy     float64
	firstStep    time.Duration // submit → step 1 (dxtrain runs)
	scheduled    time.Duration // submit → attempt placed
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "bench-torchrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dev, err := startDev(ctx, o, dir)
	if err != nil {
		return err
	}
	defer dev.stop()
	if err := dev.cli("datasets", "synth", "--images", "--out", filepath.Join(dir, "lesions"), "--rows", strconv.Itoa(o.rows)); err != nil {
		return err
	}
	if err := dev.cli("datasets", "ingest", filepath.Join(dir, "lesions", "lesions-ingest.yaml")); err != nil {
		return err
	}
	staged := filepath.Join(dir, "staged")
	if err := dev.cli("datasets", "stage", "lesions", "--out", staged); err != nil {
		return err
	}
	code := filepath.Join(o.repo, "examples", "torch", "lesions_resnet")
	args := []string{"--epochs", strconv.Itoa(o.epochs), "--checkpoint-every", "0"}

	// A first bare run sizes the checkpoint cadence (and warms the page cache).
	warm, err := bare(ctx, o, dir, code, staged, args)
	if err != nil {
		return err
	}
	every := max(1, int(math.Round(o.interval.Seconds()*1000/warm.stepMS)))
	fmt.Printf("lesion ResNet, %d ranks on %s, %d epochs of %d images (%d steps); checkpoint every %d steps ≈ %s\n",
		o.world, o.device, o.epochs, o.rows*7/10, warm.steps, every, o.interval)
	ckptArgs := []string{"--epochs", strconv.Itoa(o.epochs), "--checkpoint-every", strconv.Itoa(every)}

	var runs [4][]result
	for round := range o.rounds {
		b, err := bare(ctx, o, dir, code, staged, args)
		if err != nil {
			return err
		}
		bc, err := bare(ctx, o, dir, code, staged, ckptArgs)
		if err != nil {
			return err
		}
		d, err := dev.torchRun(ctx, fmt.Sprintf("plain-%d", round), code, args)
		if err != nil {
			return err
		}
		c, err := dev.torchRun(ctx, fmt.Sprintf("ckpt-%d", round), code, ckptArgs)
		if err != nil {
			return err
		}
		b.checkpoints, d.checkpoints = 1, 1 // the script's final one (standalone: to local disk)
		c.checkpoints = int(c.steps)/every + min(1, int(c.steps)%every)
		bc.checkpoints = c.checkpoints
		for i, r := range []result{b, d, bc, c} {
			runs[i] = append(runs[i], r)
		}
		fmt.Printf("  round %d: bare %.2f s, dxtrain %.2f s; with checkpoints: bare %.2f s, dxtrain %.2f s (%d checkpoints)\n",
			round+1, b.trainSeconds, d.trainSeconds, bc.trainSeconds, c.trainSeconds, c.checkpoints)
	}
	report(o, runs)
	return nil
}

// report prints the medians; each dxtrain run is compared with the bare run of the
// same script arguments (with checkpoints, the bare ranks save them to local disk: the
// script's own work at a checkpoint — validation, torch.save — is the same in both).
func report(o options, runs [4][]result) {
	names := []string{"bare torchrun-style ranks", "dxtrain", "bare, checkpoint every " + o.interval.String() + " (local disk)",
		"dxtrain, checkpoint every " + o.interval.String()}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\ttrain s (median)\tvs bare\tstep ms (median)\tvs bare\tcheckpoints\ttest accuracy\t")
	for i, name := range names {
		peer := i - i%2 // the bare run with the same arguments
		t := median(runs[i], func(r result) float64 { return r.trainSeconds })
		s := median(runs[i], func(r result) float64 { return r.stepMS })
		bt := median(runs[peer], func(r result) float64 { return r.trainSeconds })
		bs := median(runs[peer], func(r result) float64 { return r.stepMS })
		c := median(runs[i], func(r result) float64 { return float64(r.checkpoints) })
		a := median(runs[i], func(r result) float64 { return r.accuracy })
		fmt.Fprintf(tw, "%s\t%.2f\t%+.1f%%\t%.2f\t%+.1f%%\t%.0f\t%.4f\t\n", name, t, 100*(t/bt-1), s, 100*(s/bs-1), c, a)
	}
	tw.Flush()
	dx := append(append([]result(nil), runs[1]...), runs[3]...)
	fmt.Printf("submit → first training step: %.2f s median (scheduling %.2f s; then code, dataset, Python and torch start-up, rendezvous)\n",
		median(dx, func(r result) float64 { return r.firstStep.Seconds() }),
		median(dx, func(r result) float64 { return r.scheduled.Seconds() }))
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return math.NaN()
	}
	return v[len(v)/2]
}

// bare starts the ranks as torchrun would on one node: RANK, WORLD_SIZE, MASTER_*,
// OMP_NUM_THREADS split as the agents split it, CUDA_VISIBLE_DEVICES one GPU each,
// and the script's standalone mode reading the staged dataset.
func bare(ctx context.Context, o options, dir, code, staged string, args []string) (result, error) {
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	work, err := os.MkdirTemp(dir, "bare-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(work)
	threads := max(1, cores()/o.world)
	var cmds []*exec.Cmd
	var rank0 *bufio.Scanner
	for r := range o.world {
		cmd := exec.CommandContext(ctx, o.python, append([]string{"train.py"}, args...)...)
		cmd.Dir = code
		cmd.Env = append(os.Environ(), "RANK="+strconv.Itoa(r), "LOCAL_RANK="+strconv.Itoa(r), "WORLD_SIZE="+strconv.Itoa(o.world),
			"LOCAL_WORLD_SIZE="+strconv.Itoa(o.world), "MASTER_ADDR=127.0.0.1", "MASTER_PORT="+port,
			"OMP_NUM_THREADS="+strconv.Itoa(threads), "PYTHONPATH="+filepath.Join(o.repo, "python"), "PYTHONUNBUFFERED=1",
			"DXTRAIN_DATASET_DIR="+staged, "DXTRAIN_WORK_DIR="+work, "DXTRAIN_SEED=42", "DXTRAIN_DEVICE="+o.device)
		if o.device == "gpu" {
			cmd.Env = append(cmd.Env, "CUDA_VISIBLE_DEVICES="+strconv.Itoa(r))
		}
		if r == 0 {
			out, err := cmd.StderrPipe()
			if err != nil {
				return result{}, err
			}
			rank0 = bufio.NewScanner(out)
		}
		if err := cmd.Start(); err != nil {
			return result{}, err
		}
		cmds = append(cmds, cmd)
	}
	// Rank 0's standalone reports: "dxtrain rank 0 step N: name=value …".
	var res result
	var steps []float64
	for rank0.Scan() {
		line := rank0.Text()
		_, rest, ok := strings.Cut(line, "dxtrain rank 0 step ")
		if !ok {
			continue
		}
		m := parseKV(rest)
		n, _ := strconv.ParseInt(strings.SplitN(rest, ":", 2)[0], 10, 64)
		if v, ok := m["step_time_ms"]; ok && n > 1 { // step 1's window is the warm-up step alone
			steps = append(steps, v)
		}
		if v, ok := m["train_seconds"]; ok {
			res.trainSeconds, res.accuracy = v, m["test_accuracy"]
		}
		res.steps = max(res.steps, n)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			return result{}, fmt.Errorf("bare rank: %w", err)
		}
	}
	res.stepMS = mean(steps)
	if res.trainSeconds == 0 {
		return result{}, fmt.Errorf("bare run reported no train_seconds")
	}
	return res, nil
}

func parseKV(s string) map[string]float64 {
	out := map[string]float64{}
	for _, f := range strings.Fields(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				out[k] = x
			}
		}
	}
	return out
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func cores() int {
	n := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(b), "\nprocessor")
	}
	return max(n, 1)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

// devCluster is `dxtrain dev` with one agent per rank.
type devCluster struct {
	o     options
	dir   string
	cmd   *exec.Cmd
	env   []string
	admin *client.Client
}

func startDev(ctx context.Context, o options, dir string) (*devCluster, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	agents, devices := o.world, "cpu"
	if o.device == "gpu" {
		agents, devices = 1, "auto" // one agent holds the node's GPUs: one rank per GPU
	}
	data := filepath.Join(dir, "dev")
	cmd := exec.CommandContext(ctx, o.bin, "dev", "--data-dir", data, "--agents", strconv.Itoa(agents), "--devices", devices,
		"--http-addr", addr, "--python", o.python)
	logf, err := os.Create(filepath.Join(dir, "dev.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &devCluster{o: o, dir: dir, cmd: cmd}
	var token []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if token, err = os.ReadFile(filepath.Join(data, "token")); err == nil && len(token) > 0 {
			break
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("dxtrain dev wrote no token (see %s)", logf.Name())
		}
	}
	tok := strings.TrimSpace(string(token))
	d.env = append(os.Environ(), "DXTRAIN_ADDR=http://"+addr, "DXTRAIN_TOKEN="+tok, "DXTRAIN_STORE=file://"+filepath.Join(data, "store"))
	if d.admin, err = client.New([]string{"http://" + addr}, tok); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *devCluster) stop() { _ = d.cmd.Process.Kill(); _ = d.cmd.Wait() }

func (d *devCluster) cli(args ...string) error {
	cmd := exec.Command(d.o.bin, args...)
	cmd.Env = d.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dxtrain %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// torchRun submits the example and waits for it, reading its figures from the
// experiment's reported metrics.
func (d *devCluster) torchRun(ctx context.Context, name, code string, args []string) (result, error) {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = strconv.Quote(a)
	}
	device := "cpu"
	workers := d.o.world
	perWorker := 1
	if d.o.device == "gpu" {
		device, workers, perWorker = "gpu", 1, d.o.world
	}
	spec := fmt.Sprintf("name: %s\nruntime: torch\ncode: {path: %s, entrypoint: train.py, args: [%s]}\ndataset: {id: lesions}\n"+
		"workers: {min: %d, max: %d, device: %s, devices_per_worker: %d}\nseed: 42\nmax_restarts: 0\ncheckpoint: {keep_last: 2}\n",
		name, code, strings.Join(quoted, ", "), workers, workers, device, perWorker)
	path := filepath.Join(d.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		return result{}, err
	}
	submitted := time.Now()
	cmd := exec.CommandContext(ctx, d.o.bin, "run", path, "--detach")
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("dxtrain run: %w\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	id := fields[len(fields)-1]
	var res result
	for {
		e, err := d.admin.Experiment(ctx, id)
		if err != nil {
			return result{}, err
		}
		if res.scheduled == 0 {
			if atts, err := d.admin.Attempts(ctx, id); err == nil && len(atts) > 0 {
				res.scheduled = time.Unix(0, atts[0].CreatedAt).Sub(submitted)
			}
		}
		if structs.ExperimentTerminal(e.Status) {
			if e.Status != structs.ExperimentSucceeded {
				return result{}, fmt.Errorf("experiment %s %s: %s", id, e.Status, e.StatusReason)
			}
			return d.figures(ctx, e, submitted, res)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *devCluster) figures(_ context.Context, e *structs.Experiment, submitted time.Time, res result) (result, error) {
	var steps []float64
	for _, p := range e.Series {
		if p.Step == 1 && res.firstStep == 0 {
			res.firstStep = time.Unix(0, p.ReportedAt).Sub(submitted)
		}
		if v, ok := p.Metrics["step_time_ms"]; ok && p.Step > 1 {
			steps = append(steps, v)
		}
		res.steps = max(res.steps, p.Step)
	}
	res.stepMS = mean(steps)
	res.trainSeconds, res.accuracy = e.Progress.Metrics["train_seconds"], e.Progress.Metrics["test_accuracy"]
	if res.trainSeconds == 0 {
		return result{}, fmt.Errorf("experiment %s reported no train_seconds", e.ID)
	}
	return res, nil
}
