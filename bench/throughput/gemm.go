package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/bench/peak"
	"github.com/dxtrain/dxtrain/kernels"
)

// stepProducts are the SGEMM calls of one step, each distinct shape with its count.
type stepProducts struct {
	shapes []kernels.GemmShape
	calls  map[kernels.GemmShape]int
}

// flops is the floating-point work the step's products execute.
func (p stepProducts) flops() float64 {
	var f float64
	for s, n := range p.calls {
		f += float64(n) * s.Flops()
	}
	return f
}

// recordProducts runs one step with the SGEMM observer on and returns its products.
func recordProducts(step func() error) (stepProducts, error) {
	var mu sync.Mutex
	p := stepProducts{calls: map[kernels.GemmShape]int{}}
	stop := kernels.ObserveSgemm(func(s kernels.GemmShape) {
		mu.Lock()
		defer mu.Unlock()
		if p.calls[s] == 0 {
			p.shapes = append(p.shapes, s)
		}
		p.calls[s]++
	})
	err := step()
	stop()
	return p, err
}

// gemmRate times one product alone on its thread count and with its cut for about d and
// returns GFLOP/s, the best of five rounds (as the OpenBLAS side reports).
func gemmRate(s kernels.GemmShape, d time.Duration) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, b, c := fill(s.M*s.K), fill(s.K*s.N), make([]float32, s.M*s.N)
	lda, ldb := s.K, s.N
	if s.TransA {
		lda = s.M
	}
	if s.TransB {
		ldb = s.K
	}
	prev := kernels.Threads()
	kernels.SetThreads(s.Threads)
	defer kernels.SetThreads(prev)
	run := func() { kernels.SgemmCut(s.Cut, s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N, nil) }
	run()
	best := 0.0
	for range 5 {
		reps, start := 0, time.Now()
		for time.Since(start) < d/5 {
			run()
			reps++
		}
		best = max(best, s.Flops()*float64(reps)/time.Since(start).Seconds()/1e9)
	}
	return best
}

var gflopsRE = regexp.MustCompile(`gflops=([0-9.]+)`)

// openblasRate times one shape with OpenBLAS through numpy on its thread count.
func (c config) openblasRate(s kernels.GemmShape, d time.Duration) (float64, error) {
	spec := fmt.Sprintf("%d,%d,%d,%d,%d", s.M, s.N, s.K, b2i(s.TransA), b2i(s.TransB))
	cmd := exec.Command(c.python, c.gemmPeer, strconv.Itoa(s.Threads), strconv.FormatFloat(d.Seconds(), 'f', -1, 64), spec)
	cmd.Env = peerEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s (apt-get install -y python3-numpy libopenblas0-pthread): %v: %s", c.gemmPeer, err, lastLine(out.String()))
	}
	found := gflopsRE.FindAllStringSubmatch(out.String(), -1)
	if len(found) != 1 {
		return 0, fmt.Errorf("%s: %d results for shape %s: %s", c.gemmPeer, len(found), spec, lastLine(out.String()))
	}
	v, err := strconv.ParseFloat(found[0][1], 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.gemmPeer, err)
	}
	return v, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// productTiming is one product timed on both sides back to back: the host moves the
// vCPUs between placements within minutes (see peak.Together and peak.CoreRoundTrip),
// and with the sides timed a table apart one product read 0.70× OpenBLAS, ours timed
// on one physical core's two hardware threads and OpenBLAS's on two cores.
type productTiming struct {
	ours, theirs       float64       // GFLOP/s
	perCorePeak        float64       // its threads' peaks measured at once, per thread, just before ours
	oursRTT, theirsRTT time.Duration // core round trip just before each side
}

// timeProduct times s on our side and then on OpenBLAS's, for about d each.
func (c config) timeProduct(s kernels.GemmShape, d time.Duration) (productTiming, error) {
	var t productTiming
	t.perCorePeak = peak.PerThread(s.Threads)
	t.oursRTT = peak.CoreRoundTrip()
	t.ours = gemmRate(s, d)
	t.theirsRTT = peak.CoreRoundTrip()
	var err error
	t.theirs, err = c.openblasRate(s, d)
	return t, err
}

// printProducts writes each product of the step: calls per step, its share of the step's
// SGEMM work, GFLOP/s alone, the fraction of its threads' peak, the ratio to OpenBLAS,
// and the core round trip before each side's timing, which shows whether both ran with
// the vCPUs placed alike.
func printProducts(w io.Writer, model string, p stepProducts, timings map[kernels.GemmShape]productTiming) {
	shapes := slices.Clone(p.shapes)
	slices.SortStableFunc(shapes, func(a, b kernels.GemmShape) int {
		return int(float64(p.calls[b])*b.Flops() - float64(p.calls[a])*a.Flops())
	})
	total := p.flops()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s: SGEMM products of a step\tcalls\twork\tthreads\tdxtrain GFLOP/s\tpeak%%\tOpenBLAS GFLOP/s\tratio\tcore round trip (ours/theirs)\t\n", model)
	for _, s := range shapes {
		t := timings[s]
		name := fmt.Sprintf("%d×%d×%d %s", s.M, s.N, s.K, transName(s))
		pct := "-"
		if t.perCorePeak > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*t.ours/(float64(s.Threads)*t.perCorePeak))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%d\t%.1f\t%s\t%.1f\t%.2fx\t%d/%d ns\t\n", name, p.calls[s],
			100*float64(p.calls[s])*s.Flops()/total, s.Threads, t.ours, pct, t.theirs, t.ours/t.theirs,
			t.oursRTT.Nanoseconds(), t.theirsRTT.Nanoseconds())
	}
	tw.Flush()
}

// transName says which operands are transposed, as BLAS does ("NN", "TN", "NT", "TT"),
// and which cut the step forced, if any ("NT rows", "NT columns").
func transName(s kernels.GemmShape) string {
	n := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	name := n(s.TransA) + n(s.TransB)
	switch s.Cut {
	case kernels.CutRows:
		name += " rows"
	case kernels.CutColumns:
		name += " columns"
	}
	return name
}
