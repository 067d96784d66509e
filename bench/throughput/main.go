// Command throughput measures the training step (forward, backward, optimizer) of
// dxtrain's models against PyTorch CPU on the same shapes, batch size, thread count
// and batches — the same bytes, written for the peer (bench/throughput/peer.py) — in
// one run, on three kinds of data side by side:
//
//   - random: standard-normal inputs and random labels, the old micro-benchmark's
//     batch, which no model learns and which PyTorch met as it never does in training;
//   - synthetic: samples drawn from per-class templates plus noise (pixels in [0, 1]
//     for image-sized models), which the model learns as it trains on them;
//   - real: Fashion-MNIST's first training images (mlp, cnn) or WDBC's standardised
//     training split (logreg).
//
// PyTorch is also timed with flush-to-zero (torch.set_flush_denormal), so the part of
// a gap between kinds of data that subnormal arithmetic causes is measured, not
// guessed. Every kind cycles through the same number of batches, so caches see the
// same working set. The end-to-end figures that speak for training are bench/realdata's.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/bench/benchdata"
	"github.com/dxtrain/dxtrain/bench/peak"
	"github.com/dxtrain/dxtrain/kernels"
	"github.com/dxtrain/dxtrain/models"
)

var shapes = map[string]models.Options{
	"logreg": {Architecture: "logreg", InputShape: []int{30}, Classes: 2},
	"mlp":    {Architecture: "mlp", InputShape: []int{1, 28, 28}, Hidden: []int{256, 128}, Classes: 10},
	"cnn":    {Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{128}, Classes: 10},
}

type config struct {
	batch, threads, repeats int
	seconds                 float64
	python, peer, gemmPeer  string
	profile                 bool
	fashionDir, wdbcPath    string
}

func main() {
	var c config
	modelList := flag.String("models", "logreg,mlp,cnn", "comma-separated models to measure")
	flag.IntVar(&c.batch, "batch", 128, "batch size")
	flag.IntVar(&c.threads, "threads", 2, "threads for both sides (GOMAXPROCS and torch.set_num_threads)")
	flag.Float64Var(&c.seconds, "seconds", 3, "timed duration of each run")
	flag.IntVar(&c.repeats, "repeats", 3, "runs per side; the median is reported")
	flag.StringVar(&c.peer, "peer", "bench/throughput/peer.py", "the PyTorch side")
	flag.StringVar(&c.gemmPeer, "gemm-peer", "bench/throughput/gemm_peer.py", "the OpenBLAS side of the per-product table")
	flag.BoolVar(&c.profile, "profile", true, "after the table, profile each model's step on real data and time its products against OpenBLAS")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "Python with torch installed (Debian's python3-torch)")
	flag.StringVar(&c.fashionDir, "fashion", "/usr/share/datasets/fashion-mnist", "Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist)")
	flag.StringVar(&c.wdbcPath, "wdbc", "datasets/testdata/wdbc.csv", "the WDBC CSV")
	flag.Parse()
	runtime.GOMAXPROCS(c.threads)
	dir, err := os.MkdirTemp("", "dxtrain-throughput-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	fmt.Println(peak.Measure())
	fmt.Println(peak.DescribeTogether(peak.Together(c.threads)))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tdata\tbatch\tthreads\tdxtrain samples/s\tGFLOP/s\tpeak GFLOP/s\tpeak%%\tpytorch samples/s\tGFLOP/s\tratio\tpytorch flush-to-zero\tcore round trip\t\n")
	profiles := map[string][]models.Batch{}
	for _, name := range strings.Split(*modelList, ",") {
		opts, ok := shapes[name]
		if !ok {
			fail(fmt.Errorf("unknown model %q", name))
		}
		net, err := models.NewNetwork(opts)
		if err != nil {
			fail(err)
		}
		real, err := realBatches(net, c.batch, c.fashionDir, c.wdbcPath)
		if err != nil {
			fail(err)
		}
		for _, kind := range []struct {
			name    string
			batches []models.Batch
		}{{"random", randomBatches(net, c.batch)}, {"synthetic", learnableBatches(net, c.batch)}, {"real", real}} {
			meta := filepath.Join(dir, name+"-"+kind.name+".json")
			if err := writeBatches(meta, net, kind.batches); err != nil {
				fail(err)
			}
			var ours, theirs, ftz, rtt, peaks []float64
			for range c.repeats {
				rtt = append(rtt, float64(peak.CoreRoundTrip().Nanoseconds()))
				peaks = append(peaks, peak.Sum(peak.Together(c.threads)))
				v, err := measure(net, kind.batches, time.Duration(c.seconds*float64(time.Second)))
				if err != nil {
					fail(fmt.Errorf("%s: %w", name, err))
				}
				ours = append(ours, v)
				for _, flush := range []bool{false, true} {
					t, err := c.torch(name, meta, flush)
					if err != nil {
						fail(fmt.Errorf("pytorch %s (apt-get install -y python3-torch): %w", name, err))
					}
					if flush {
						ftz = append(ftz, t)
					} else {
						theirs = append(theirs, t)
					}
				}
			}
			o, t, peakGF := median(ours), median(theirs), median(peaks)
			perSample := stepFlops(net, c.batch) / float64(c.batch) / 1e9
			pct := "-"
			if peakGF > 0 {
				pct = fmt.Sprintf("%.0f%%", 100*o*perSample/peakGF)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.1f\t%.1f\t%s\t%.0f\t%.1f\t%.2fx\t%.0f\t%.0f ns\t\n", name, kind.name, c.batch, c.threads,
				o, o*perSample, peakGF, pct, t, t*perSample, o/t, median(ftz), median(rtt))
		}
		profiles[name] = real
	}
	tw.Flush()
	fmt.Printf("GFLOP/s counts the step's useful work (2·m·n·k of each forward, weight-gradient and input-gradient product; "+
		"none for the first layer's input); peak GFLOP/s = the peaks of %d threads measured at once, as above, before each of "+
		"dxtrain's runs (median), because this host moves the clock between runs (3.1-3.6 GHz) and can put both vCPUs on one "+
		"physical core, whose FMA units they then share; peak%% = dxtrain GFLOP/s / peak GFLOP/s.\n", c.threads)
	fmt.Println("core round trip: a cache line from one of dxtrain's threads to the other and back, timed before each of its runs " +
		"(median). On a shared VM it moves with where the host puts the two vCPUs; when it is high, the products hand their " +
		"operands across distant cores and the memory-bound work of a step (optimizer, activations) slows, the MLP most.")
	if !c.profile {
		return
	}
	for _, name := range strings.Split(*modelList, ",") {
		if err := c.profileModel(os.Stdout, name, profiles[name]); err != nil {
			fail(fmt.Errorf("profile %s: %w", name, err))
		}
	}
}

// profileModel prints where a step of the model goes on real batches, by kind of work and
// then by op, and how each of its SGEMM products does alone against OpenBLAS.
func (c config) profileModel(w io.Writer, name string, batches []models.Batch) error {
	net, err := models.NewNetwork(shapes[name])
	if err != nil {
		return err
	}
	t, err := newSGDTraining(net, c.batch)
	if err != nil {
		return err
	}
	defer t.g.Close()
	i := 0
	step := func() error {
		if _, err := t.g.Step(batches[i%len(batches)]); err != nil {
			return err
		}
		i++
		t.opt.Step(t.params, sgdLR)
		return nil
	}
	for range 20 {
		if err := step(); err != nil {
			return err
		}
	}
	products, err := recordProducts(step)
	if err != nil {
		return err
	}
	perCorePeak := peak.PerThread(c.threads) // just before the profile: the clock moves between runs
	prof, err := profileSteps(step, c.threads, time.Duration(c.seconds*float64(time.Second)))
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	prof.print(w, name, products.flops(), perCorePeak)
	fmt.Fprintln(w)
	if err := opTimes(w, name, t, batches, time.Duration(c.seconds*float64(time.Second))); err != nil {
		return err
	}
	// Each product's peak is measured just before it is timed: measured once for the
	// whole table, the clock moved under it and one product read 104% of peak.
	timings := map[kernels.GemmShape]productTiming{}
	for _, s := range products.shapes {
		t, err := c.timeProduct(s, time.Second)
		if err != nil {
			return err
		}
		timings[s] = t
	}
	fmt.Fprintln(w)
	printProducts(w, name, products, timings)
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "throughput:", err)
	os.Exit(1)
}

// sgdLR is the learning rate both sides train at, with momentum 0.9, as the peer does.
const sgdLR = 0.01

// sgdTraining is the network at seed 0 compiled for a batch size, with the optimizer
// both sides use.
type sgdTraining struct {
	g      *models.Graph
	opt    *models.Optimizer
	params []*models.Param
}

func newSGDTraining(net models.Network, batch int) (sgdTraining, error) {
	params := models.InitParams(net, 0)
	g, err := models.NewGraph(net, params, batch)
	if err != nil {
		return sgdTraining{}, err
	}
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "sgd", Momentum: 0.9}, params)
	if err != nil {
		g.Close()
		return sgdTraining{}, err
	}
	return sgdTraining{g: g, opt: opt, params: params}, nil
}

// measure trains on the batches in turn and returns samples per second after a warm-up.
func measure(net models.Network, batches []models.Batch, d time.Duration) (float64, error) {
	t, err := newSGDTraining(net, len(batches[0].Labels))
	if err != nil {
		return 0, err
	}
	defer t.g.Close()
	return benchdata.StepRate(t.g, t.opt, sgdLR, batches, 20, d)
}

// writeBatches writes the batches as little-endian float32 inputs and int32 labels
// beside a JSON description, for the peer.
func writeBatches(meta string, net models.Network, batches []models.Batch) error {
	var x, y bytes.Buffer
	for _, b := range batches {
		for _, v := range b.X {
			_ = binary.Write(&x, binary.LittleEndian, math.Float32bits(v))
		}
		for _, l := range b.Labels {
			_ = binary.Write(&y, binary.LittleEndian, l)
		}
	}
	xf, yf := meta+".x.f32", meta+".y.i32"
	if err := os.WriteFile(xf, x.Bytes(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(yf, y.Bytes(), 0o600); err != nil {
		return err
	}
	desc, err := json.Marshal(map[string]any{"shape": net.InputShape, "batch": len(batches[0].Labels), "count": len(batches), "x": xf, "y": yf})
	if err != nil {
		return err
	}
	return os.WriteFile(meta, desc, 0o600)
}

var samplesRE = regexp.MustCompile(`samples_per_s=([0-9.]+)`)

// torch runs the peer in peerEnv.
func (c config) torch(model, meta string, flush bool) (float64, error) {
	args := []string{c.peer, "--data", meta, "--model", model, "--threads", strconv.Itoa(c.threads),
		"--seconds", strconv.FormatFloat(c.seconds, 'f', -1, 64)}
	if flush {
		args = append(args, "--flush-denormal")
	}
	cmd := exec.Command(c.python, args...)
	cmd.Env = peerEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%v: %s", err, lastLine(out.String()))
	}
	m := samplesRE.FindStringSubmatch(out.String())
	if m == nil {
		return 0, fmt.Errorf("no samples_per_s in output: %s", lastLine(out.String()))
	}
	return strconv.ParseFloat(m[1], 64)
}

// peerEnv is this process's environment without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
// which pin an older, slower OpenBLAS kernel.
func peerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") && !strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") {
			env = append(env, kv)
		}
	}
	return env
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			last = sc.Text()
		}
	}
	return last
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
