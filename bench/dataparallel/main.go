// Command dataparallel measures the time per training step of data-parallel training,
// split into compute (forward and backward) and communication (the ring all-reduce of
// the gradients), for 1, 2 and 4 workers on the reference MLP (784-256-128-10) at a
// global batch of 128. Ranks are goroutines joined over loopback TCP, like workers on
// one host; on a 2-core machine 4 ranks share the cores, which the table shows.
package main

import (
	"github.com/dxtrain/dxtrain/bench/benchdata"

	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/trainer/collective"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

func main() {
	worlds := flag.String("worlds", "1,2,4", "comma-separated world sizes")
	steps := flag.Int("steps", 200, "optimizer steps per run")
	flag.Parse()
	data := benchdata.MNISTLike(2048, 64)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workers\tglobal batch\tstep ms\tcompute ms\tall-reduce ms\tcomm share\tsamples/s\t")
	for _, w := range strings.Split(*worlds, ",") {
		world, err := strconv.Atoi(w)
		if err != nil || world < 1 {
			fmt.Fprintf(os.Stderr, "bad world %q\n", w)
			os.Exit(2)
		}
		res, wall, err := run(data, world, *steps)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n := float64(res.Steps)
		step := wall.Seconds() * 1000 / n
		compute := res.ComputeTime.Seconds() * 1000 / n
		comm := res.CommTime.Seconds() * 1000 / n
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%.2f\t%.0f%%\t%.0f\t\n", world, 128, step, compute, comm, 100*comm/step, n*128/wall.Seconds())
	}
	tw.Flush()
}

func spec(steps int) *experiments.Spec {
	s := &experiments.Spec{Name: "bench-dataparallel"}
	s.Dataset.Label, s.Dataset.Classes = "label", benchdata.Classes
	s.Model.Architecture, s.Model.Hidden = "mlp", []int{256, 128}
	s.Training.Epochs, s.Training.BatchSize, s.Training.Seed = (steps*128+2047)/2048, 128, 1
	s.Training.Optimizer.Name, s.Training.Optimizer.LearningRate, s.Training.Optimizer.Momentum = "sgd", 0.01, 0.9
	s.Training.Schedule.Name = "constant"
	return s
}

// run trains one attempt on world goroutine ranks and returns rank 0's result.
func run(data *loop.Data, world, steps int) (*loop.Result, time.Duration, error) {
	lns := make([]net.Listener, world)
	addrs := make([]string, world)
	for r := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, 0, err
		}
		lns[r], addrs[r] = ln, ln.Addr().String()
	}
	results := make([]*loop.Result, world)
	errs := make([]error, world)
	var wg sync.WaitGroup
	start := time.Now()
	for r := 0; r < world; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			ctx := context.Background()
			cfg := collective.DefaultConfig()
			cfg.Rank, cfg.World, cfg.Addrs, cfg.Session = r, world, addrs, "bench"
			comm, err := collective.JoinListener(ctx, cfg, lns[r])
			if err != nil {
				errs[r] = err
				return
			}
			defer comm.Close()
			results[r], errs[r] = loop.Run(ctx, loop.Config{Spec: spec(steps), Data: data, Comm: comm, NoCheckpoints: true, StopAfterStep: int64(steps)})
		}(r)
	}
	wg.Wait()
	wall := time.Since(start)
	for r, err := range errs {
		if err != nil {
			return nil, 0, fmt.Errorf("world %d rank %d: %w", world, r, err)
		}
	}
	return results[0], wall, nil
}
