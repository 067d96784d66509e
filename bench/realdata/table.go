package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"
	"time"
)

func printTables(out io.Writer, rows []row) {
	fmt.Fprintln(out, "thread sweep (training-step samples/s over the loop's steps):")
	for _, r := range rows {
		fmt.Fprintf(out, "  %s  dxtrain:", r.w.Name)
		for _, c := range nativeConfigs(maxProcs(r.nativeSweep)) {
			fmt.Fprintf(out, " [%s] %.0f", c, r.nativeSweep[c])
		}
		fmt.Fprintf(out, "\n  %s  pytorch:", r.w.Name)
		configs := make([]peerConfig, 0, len(r.torchSweep))
		for c := range r.torchSweep {
			configs = append(configs, c)
		}
		sort.Slice(configs, func(i, j int) bool { return r.torchSweep[configs[i]] > r.torchSweep[configs[j]] })
		for _, c := range configs {
			fmt.Fprintf(out, " [%s] %.0f", c, r.torchSweep[c])
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tengine\tconfig\ttrain samples/s\tval samples/s\twall s/epoch\ttime to target\tval acc (last epoch)\ttest acc\t\n")
	for _, r := range rows {
		for _, e := range []struct {
			name string
			res  runResult
		}{{"dxtrain", r.native}, {"pytorch", r.torchDefault}, {"pytorch", r.torchFTZ}} {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f\t%.2f\t%s\t%.4f\t%.4f\t\n", r.w.Name, e.name, e.res.Config, e.res.TrainRate, e.res.ValRate,
				medianDuration(e.res.EpochWall).Seconds(), targetCell(e.res, r.w.Target), last(e.res.Accuracy), e.res.TestAcc)
		}
		nt, nok := r.native.toTarget(r.w.Target)
		tt, tok := r.torch.toTarget(r.w.Target)
		speed := "n/a"
		if nok && tok {
			speed = fmt.Sprintf("%.2fx", tt.Seconds()/nt.Seconds())
		}
		fmt.Fprintf(tw, "%s\tdxtrain/pytorch\tvs %s\t%.2fx\t%.2fx\t%.2fx\t%s\t\t\t\n", r.w.Name, r.torch.Config, r.native.TrainRate/r.torch.TrainRate,
			r.native.ValRate/r.torch.ValRate, medianDuration(r.torch.EpochWall).Seconds()/medianDuration(r.native.EpochWall).Seconds(), speed)
	}
	tw.Flush()
	fmt.Fprintln(out, "\n(pytorch runs with flush-to-zero off and on (FTZ); the ratios compare with the faster of the two;")
	fmt.Fprintln(out, " train: time in training steps, batch assembly and optimizer included, validation and checkpoints not;")
	fmt.Fprintln(out, " wall s/epoch: median over epochs of steps + validation + saved state; time to target: from the start of the run, loading included;")
	fmt.Fprintln(out, " ratios above 1 favour dxtrain)")
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tdxtrain step bench, real batches\tloop, epoch 1's first steps (sweep)\tloop/step\tloop, whole run\tloop/step\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f%%\t%.0f\t%.0f%%\t\n", r.w.Name, r.stepRate, r.stepLoop, 100*r.stepLoop/r.stepRate,
			r.native.TrainRate, 100*r.native.TrainRate/r.stepRate)
	}
	tw.Flush()
}

func targetCell(r runResult, target float64) string {
	if d, ok := r.toTarget(target); ok {
		return fmt.Sprintf("%.0f%% in %.2fs", 100*target, d.Seconds())
	}
	return fmt.Sprintf("%.0f%% not reached", 100*target)
}

func medianDuration(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func last(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}

func maxProcs(sweep map[nativeConfig]float64) int {
	m := 0
	for c := range sweep {
		m = max(m, c.Procs)
	}
	return m
}
