// Command sgemm measures dxtrain's SGEMM (kernels.Sgemm) against OpenBLAS through numpy
// (../shared/bench/gemm_reference.py) at the reference shapes, in one run on one machine,
// and prints one table: GFLOP/s of each, their ratio, and the fraction of the machine's fp32
// peak, which it derives from the measured clock and FMA rate.
//
//	go run ./bench/sgemm [-reference path] [-threads 1,2] [-rounds 3] [-repeats 5]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/bench/peak"
	"github.com/dxtrain/dxtrain/kernels"
)

// shapes are gemm_reference.py's: square 256–2048, then the reference MLP's (784-256-128-10,
// batch 128) forward products, weight-gradient products and input-gradient products.
var shapes = []shape{{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
	{128, 256, 784}, {128, 128, 256}, {128, 10, 128},
	{784, 256, 128}, {256, 128, 128},
	{128, 784, 256}, {128, 256, 128}}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench sgemm:", err)
		os.Exit(1)
	}
}

func run() error {
	reference := flag.String("reference", "../shared/bench/gemm_reference.py", "OpenBLAS reference script; relative paths are from the repository root")
	python := flag.String("python", "/usr/bin/python3", "Python that sees Debian's numpy")
	threadList := flag.String("threads", "1,2", "comma-separated thread counts to measure")
	repeats := flag.Int("repeats", 5, "timed repeats per shape and round")
	rounds := flag.Int("rounds", 3, "rounds; each times dxtrain then runs the OpenBLAS script, so noise hits both alike")
	flag.Parse()
	threads, err := parseThreads(*threadList)
	if err != nil {
		return err
	}
	script, err := resolveFromRepo(*reference)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *repeats < 1 || *rounds < 1 {
		return fmt.Errorf("flags -repeats %d and -rounds %d: both must be at least 1", *repeats, *rounds)
	}
	pk := peak.Measure()
	together := map[int][]peak.Peak{} // per thread count: their peaks measured at once
	for _, t := range threads {
		together[t] = peak.Together(t)
	}
	samples := make(map[int]map[shape]*sample)
	for _, t := range threads {
		samples[t] = make(map[shape]*sample)
		for _, s := range shapes {
			samples[t][s] = new(sample)
		}
	}
	for r := range *rounds {
		for _, t := range threads {
			fmt.Fprintf(os.Stderr, "round %d/%d threads %d\n", r+1, *rounds, t)
			for s, rates := range measureOurs(ctx, t, *repeats) {
				smp := samples[t][s]
				smp.ours = append(smp.ours, rates...)
				smp.oursBest = append(smp.oursBest, slices.Max(rates))
			}
			ob, err := runReference(ctx, *python, script, t)
			if err != nil {
				return err
			}
			for s, v := range ob {
				if smp := samples[t][s]; smp != nil {
					smp.openblas = append(smp.openblas, v)
				}
			}
			if ctx.Err() != nil {
				return fmt.Errorf("bench sgemm round %d: %w", r+1, ctx.Err())
			}
		}
	}
	printTable(os.Stdout, pk, together, threads, *rounds, samples)
	return nil
}

// sample collects one shape's GFLOP/s over all rounds: every repeat of ours, the best
// repeat of ours per round, and OpenBLAS's figure per round (its script's best of 5).
type sample struct{ ours, oursBest, openblas []float64 }

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	y := slices.Clone(x)
	slices.Sort(y)
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return (y[len(y)/2-1] + y[len(y)/2]) / 2
}

// measureOurs times kernels.Sgemm on every shape with the given thread count and returns
// the GFLOP/s of each repeat.
func measureOurs(ctx context.Context, threads, repeats int) map[shape][]float64 {
	kernels.SetThreads(threads)
	defer kernels.SetThreads(0)
	res := make(map[shape][]float64)
	rng := rand.New(rand.NewPCG(0, 1))
	for _, s := range shapes {
		if ctx.Err() != nil {
			break
		}
		a, b, c := randomSlice(rng, s.m*s.k), randomSlice(rng, s.k*s.n), make([]float32, s.m*s.n)
		call := func() { kernels.Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, c, s.n) }
		for range 3 {
			call()
		}
		flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		reps := max(5, int(1e9/flop))
		rates := make([]float64, repeats)
		for i := range rates {
			t0 := time.Now()
			for range reps {
				call()
			}
			rates[i] = flop * float64(reps) / time.Since(t0).Seconds() / 1e9
		}
		res[s] = rates
	}
	return res
}

func randomSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// printTable writes one row per shape and, per thread count: our median over every repeat,
// our best (median over rounds of each round's best), OpenBLAS's (median over rounds of its
// script's best of 5), the ratio of the two bests, and our median's share of the peak of
// that many threads measured at once (together).
func printTable(f *os.File, pk peak.Peak, together map[int][]peak.Peak, threads []int, rounds int, samples map[int]map[shape]*sample) {
	fmt.Fprintf(f, "kernel: %s\n%s\n", kernels.KernelName(), pk)
	for _, t := range threads {
		if t > 1 {
			fmt.Fprintln(f, peak.DescribeTogether(together[t]))
		}
	}
	fmt.Fprintf(f, "GFLOP/s over %d rounds. med: dxtrain median of all repeats. best: median over rounds of dxtrain's best repeat. "+
		"OpenBLAS: median over rounds of gemm_reference.py (best of 5). ratio = best / OpenBLAS. peak%% = med / the peak of that many threads measured at once.\n", rounds)
	w := tabwriter.NewWriter(f, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := []string{"shape"}
	for _, t := range threads {
		hdr = append(hdr, fmt.Sprintf("%dT med", t), fmt.Sprintf("%dT best", t), fmt.Sprintf("%dT OpenBLAS", t),
			fmt.Sprintf("%dT ratio", t), fmt.Sprintf("%dT peak%%", t))
	}
	fmt.Fprintln(w, strings.Join(hdr, "\t")+"\t")
	for _, s := range shapes {
		row := []string{s.String()}
		for _, t := range threads {
			smp := samples[t][s]
			med, best, ob := median(smp.ours), median(smp.oursBest), median(smp.openblas)
			ratio := "-"
			if ob > 0 {
				ratio = fmt.Sprintf("%.2f", best/ob)
			}
			pct := "-"
			if total := peak.Sum(together[t]); total > 0 {
				pct = fmt.Sprintf("%.0f%%", 100*med/total)
			}
			row = append(row, fmt.Sprintf("%.1f", med), fmt.Sprintf("%.1f", best), fmt.Sprintf("%.1f", ob), ratio, pct)
		}
		fmt.Fprintln(w, strings.Join(row, "\t")+"\t")
	}
	w.Flush()
}

func parseThreads(list string) ([]int, error) {
	var ts []int
	for _, f := range strings.Split(list, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || t < 1 {
			return nil, fmt.Errorf("flag -threads %q: %q is not a positive integer", list, f)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// resolveFromRepo makes a relative path relative to the repository root (the directory
// holding go.mod at or above the working directory) and checks that it exists.
func resolveFromRepo(p string) (string, error) {
	if !filepath.IsAbs(p) {
		dir, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return "", fmt.Errorf("resolve %s: no go.mod at or above the working directory", p)
			}
			dir = parent
		}
		p = filepath.Join(dir, p)
	}
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("reference script %s: not found (flag -reference): %w", p, err)
		}
		return "", fmt.Errorf("reference script %s: %w", p, err)
	}
	return p, nil
}
