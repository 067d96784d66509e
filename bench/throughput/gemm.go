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
	"strings"
	"sync"
	"text/tabwriter"
	"time"

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

// openblasRates times the shapes with OpenBLAS through numpy, grouped by thread count.
func (c config) openblasRates(shapes []kernels.GemmShape, d time.Duration) (map[kernels.GemmShape]float64, error) {
	byThreads := map[int][]kernels.GemmShape{}
	for _, s := range shapes {
		byThreads[s.Threads] = append(byThreads[s.Threads], s)
	}
	rates := map[kernels.GemmShape]float64{}
	for threads, group := range byThreads {
		specs := make([]string, len(group))
		for i, s := range group {
			specs[i] = fmt.Sprintf("%d,%d,%d,%d,%d", s.M, s.N, s.K, b2i(s.TransA), b2i(s.TransB))
		}
		cmd := exec.Command(c.python, c.gemmPeer, strconv.Itoa(threads), strconv.FormatFloat(d.Seconds(), 'f', -1, 64), strings.Join(specs, ";"))
		cmd.Env = peerEnv()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s (apt-get install -y python3-numpy libopenblas0-pthread): %v: %s", c.gemmPeer, err, lastLine(out.String()))
		}
		found := gflopsRE.FindAllStringSubmatch(out.String(), -1)
		if len(found) != len(group) {
			return nil, fmt.Errorf("%s: %d results for %d shapes: %s", c.gemmPeer, len(found), len(group), lastLine(out.String()))
		}
		for i, m := range found {
			v, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.gemmPeer, err)
			}
			rates[group[i]] = v
		}
	}
	return rates, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printProducts writes each product of the step: calls per step, its share of the step's
// SGEMM work, GFLOP/s alone, the fraction of its threads' peak (perCorePeak: theirs
// measured at once, per thread, just before the product was timed), and the ratio to
// OpenBLAS.
func printProducts(w io.Writer, model string, p stepProducts, ours, theirs, perCorePeak map[kernels.GemmShape]float64) {
	shapes := slices.Clone(p.shapes)
	slices.SortStableFunc(shapes, func(a, b kernels.GemmShape) int {
		return int(float64(p.calls[b])*b.Flops() - float64(p.calls[a])*a.Flops())
	})
	total := p.flops()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s: SGEMM products of a step\tcalls\twork\tthreads\tdxtrain GFLOP/s\tpeak%%\tOpenBLAS GFLOP/s\tratio\t\n", model)
	for _, s := range shapes {
		name := fmt.Sprintf("%d×%d×%d %s", s.M, s.N, s.K, transName(s))
		pct := "-"
		if pk := perCorePeak[s]; pk > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*ours[s]/(float64(s.Threads)*pk))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%d\t%.1f\t%s\t%.1f\t%.2fx\t\n", name, p.calls[s],
			100*float64(p.calls[s])*s.Flops()/total, s.Threads, ours[s], pct, theirs[s], ours[s]/theirs[s])
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
