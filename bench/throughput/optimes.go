package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/models"
)

// opTimes trains on the batches in turn for about d, the graph timing each op and the
// optimizer timed beside it, and prints the wall time each takes in a step: which layer a
// step waits for, with the hand-offs and cache misses between the threads that a CPU
// profile spreads over its kinds of work.
func opTimes(w io.Writer, model string, t sgdTraining, batches []models.Batch, d time.Duration) error {
	t.g.TimeOps(true)
	defer t.g.TimeOps(false)
	var optimizer time.Duration
	steps := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := t.g.Step(batches[steps%len(batches)]); err != nil {
			return err
		}
		o := time.Now()
		t.opt.Step(t.params, sgdLR)
		optimizer += time.Since(o)
		steps++
	}
	wall := time.Since(start)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s: a step's ops in order (wall time, mean of %d steps of %.0f µs)\tµs/step\tshare\t\n", model, steps, us(wall)/float64(steps))
	row := func(name string, total time.Duration) {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f%%\t\n", name, us(total)/float64(steps), 100*float64(total)/float64(wall))
	}
	for _, op := range t.g.OpTimes() {
		row(op.Op, op.Total)
	}
	row("optimizer (sgd, momentum 0.9)", optimizer)
	return tw.Flush()
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
