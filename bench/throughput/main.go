// Command throughput measures training throughput (samples/s) of dxtrain's models
// against PyTorch CPU on the same shapes, batch size and thread count, in one run,
// and prints a table with the ratio. The shapes are those of
// ../shared/bench/torch_reference.py.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/models"
)

var shapes = map[string]models.Options{
	"logreg": {Architecture: "logreg", InputShape: []int{30}, Classes: 2},
	"mlp":    {Architecture: "mlp", InputShape: []int{784}, Hidden: []int{256, 128}, Classes: 10},
	"cnn":    {Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{128}, Classes: 10},
}

func main() {
	var (
		modelList = flag.String("models", "logreg,mlp,cnn", "comma-separated models to measure")
		batch     = flag.Int("batch", 128, "batch size")
		threads   = flag.Int("threads", 2, "threads for both sides (GOMAXPROCS and torch.set_num_threads)")
		seconds   = flag.Float64("seconds", 5, "timed duration of each run")
		repeats   = flag.Int("repeats", 3, "runs per side; the median is reported")
		reference = flag.String("reference", "../shared/bench/torch_reference.py", "PyTorch reference script")
		python    = flag.String("python", "/usr/bin/python3", "Python with torch installed (Debian's python3-torch)")
	)
	flag.Parse()
	runtime.GOMAXPROCS(*threads)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tbatch\tthreads\tdxtrain samples/s\tpytorch samples/s\tratio\t\n")
	for _, name := range strings.Split(*modelList, ",") {
		opts, ok := shapes[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown model %q\n", name)
			os.Exit(2)
		}
		var ours, theirs []float64
		for r := 0; r < *repeats; r++ {
			v, err := measure(opts, *batch, time.Duration(*seconds*float64(time.Second)))
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
				os.Exit(1)
			}
			ours = append(ours, v)
			if t, err := torch(*python, *reference, name, *batch, *threads, *seconds); err == nil {
				theirs = append(theirs, t)
			} else if r == 0 {
				fmt.Fprintf(os.Stderr, "pytorch reference unavailable (%v); install with: apt-get install -y python3-torch\n", err)
			}
		}
		o, t := median(ours), median(theirs)
		ratio := "n/a"
		if t > 0 {
			ratio = fmt.Sprintf("%.2fx", o/t)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%s\t\n", name, *batch, *threads, o, t, ratio)
	}
	tw.Flush()
}

// measure trains on random data (SGD, lr 0.01, momentum 0.9, as the reference does)
// and returns samples per second after a warm-up.
func measure(opts models.Options, batch int, d time.Duration) (float64, error) {
	net, err := models.NewNetwork(opts)
	if err != nil {
		return 0, err
	}
	params := models.InitParams(net, 0)
	g, err := models.NewGraph(net, params, batch)
	if err != nil {
		return 0, err
	}
	defer g.Close()
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "sgd", Momentum: 0.9}, params)
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b := models.Batch{X: make([]float32, batch*net.InputSize()), Labels: make([]int32, batch), Weights: make([]float32, batch)}
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	for i := range b.Labels {
		b.Labels[i] = int32(rng.IntN(net.Classes))
		b.Weights[i] = 1 / float32(batch)
	}
	step := func() error {
		if _, err := g.Step(b); err != nil {
			return err
		}
		opt.Step(params, 0.01)
		return nil
	}
	for i := 0; i < 5; i++ {
		if err := step(); err != nil {
			return 0, err
		}
	}
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if err := step(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n*batch) / time.Since(start).Seconds(), nil
}

var samplesRE = regexp.MustCompile(`samples_per_s=([0-9.]+)`)

// torch runs the PyTorch reference with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
// for that command only: they pin an older, slower OpenBLAS kernel.
func torch(python, script, model string, batch, threads int, seconds float64) (float64, error) {
	cmd := exec.Command(python, script, "--model", model, "--batch", strconv.Itoa(batch),
		"--threads", strconv.Itoa(threads), "--seconds", strconv.FormatFloat(seconds, 'f', -1, 64))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") && !strings.HasPrefix(kv, "OPENBLAS_L2_SIZE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
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
