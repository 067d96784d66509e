// Command schedsim runs the scheduling policy of issue #17 over a simulated cluster
// (coordinator/scheduler/simulate) and prints what it measured against the goals:
// placements per second of scheduler CPU (≥ 1,000), device utilisation while work
// waits (≥ 90%), Jain's fairness index of share over weight-share (≥ 0.95), queue
// waits per priority class, preemptions and the work they lost beyond the
// checkpoint request (0). With -lost-fraction above 0 it runs twice, with none and
// with that fraction of victims missing their deadline, and prints both.
//
//	go run ./bench/schedsim                     # 1,000 agents × 8 gpus, 10,000 gangs, 20 projects
//	go run ./bench/schedsim -lost-fraction 0.1  # about 25 s per run on 2 cores
//
// The scheduler's CPU time is the process's (every thread, garbage collection
// included) while scheduler.Decide runs; on a machine shared with other work it
// varies by about ±10% from run to run.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/scheduler/simulate"
)

func main() {
	d := simulate.Defaults
	agents := flag.Int("agents", d.Agents, "agents (nodes)")
	devices := flag.Int("devices", d.DevicesPerAgent, "gpus per agent")
	gangs := flag.Int("gangs", d.Gangs, "gangs submitted")
	projects := flag.Int("projects", d.Projects, "projects")
	seed := flag.Uint64("seed", d.Seed, "random seed")
	lost := flag.Float64("lost-fraction", 0, "fraction of preempted runs that miss their stop deadline and lose work back to their last periodic checkpoint")
	load := flag.Float64("load", d.Load, "offered load over capacity")
	maxRanks := flag.Int("max-ranks", d.MaxRanks, "widest gang")
	shares := flag.Bool("shares", true, "print each project's share")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the simulation to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "schedsim:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "schedsim:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	cfg := simulate.Config{Agents: *agents, DevicesPerAgent: *devices, Gangs: *gangs, Projects: *projects, Seed: *seed,
		Load: *load, MaxRanks: *maxRanks}
	fractions := []float64{0}
	if *lost > 0 {
		fractions = append(fractions, *lost)
	}
	var results []*simulate.Result
	for _, f := range fractions {
		cfg.LostFraction = f
		start := time.Now()
		r, err := simulate.Run(cfg)
		if err != nil {
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, "schedsim:", err)
			os.Exit(1)
		}
		fmt.Printf("simulated %d agents × %d gpus, %d gangs, %d projects, seed %d, lost fraction %g in %v\n",
			*agents, *devices, *gangs, *projects, *seed, f, time.Since(start).Round(time.Millisecond))
		results = append(results, r)
	}
	printGoals(results)
	printWaits(results[0])
	if *shares {
		printShares(results[0])
	}
}

func table() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 2, 0, 2, ' ', 0) }

func printGoals(rs []*simulate.Result) {
	fmt.Println()
	w := table()
	fmt.Fprint(w, "measure\tgoal")
	for _, r := range rs {
		fmt.Fprintf(w, "\tlost fraction %g", r.Config.LostFraction)
	}
	fmt.Fprintln(w)
	row := func(name, goal string, f func(r *simulate.Result) string) {
		fmt.Fprintf(w, "%s\t%s", name, goal)
		for _, r := range rs {
			fmt.Fprintf(w, "\t%s", f(r))
		}
		fmt.Fprintln(w)
	}
	row("placements", "", func(r *simulate.Result) string { return fmt.Sprint(r.Placements) })
	row("scheduling passes", "", func(r *simulate.Result) string { return fmt.Sprint(r.Passes) })
	row("scheduler CPU time", "", func(r *simulate.Result) string { return r.SchedulerCPU.Round(time.Millisecond).String() })
	row("scheduler wall time", "", func(r *simulate.Result) string { return r.SchedulerWall.Round(time.Millisecond).String() })
	row("CPU per pass", "", func(r *simulate.Result) string {
		return (r.SchedulerCPU / time.Duration(r.Passes)).Round(time.Microsecond).String()
	})
	row("placements/s of scheduler CPU", "≥ 1,000", func(r *simulate.Result) string { return fmt.Sprintf("%.0f", r.PlacementsPerSecond()) })
	row("pending gangs: mean / max", "", func(r *simulate.Result) string { return fmt.Sprintf("%.0f / %d", r.MeanPending, r.MaxPending) })
	row("utilisation while work waits", "≥ 90%", func(r *simulate.Result) string {
		return fmt.Sprintf("%.1f%% over %s", 100*r.Utilisation, hours(r.Contended))
	})
	row("  of which after the last arrival", "", func(r *simulate.Result) string {
		return fmt.Sprintf("%.1f%% over %s", 100*r.TailUtilisation, hours(r.Tail))
	})
	row("  while a gang its project's limit allows waits", "", func(r *simulate.Result) string {
		return fmt.Sprintf("%.1f%% over %s", 100*r.Startable, hours(r.StartableTime))
	})
	row("Jain's index of share/weight-share", "≥ 0.95", func(r *simulate.Result) string {
		return fmt.Sprintf("%.3f over %d of %d projects (window %s–%s)", r.Jain, r.Always, len(r.Shares),
			hours(r.FairFrom), hours(r.FairTo))
	})
	row("preemptions (of which reclaim)", "", func(r *simulate.Result) string { return fmt.Sprintf("%d (%d)", r.Preemptions, r.Reclaims) })
	row("victims past their stop deadline", "", func(r *simulate.Result) string { return fmt.Sprint(r.Missed) })
	row("work lost beyond the checkpoint request", "0", func(r *simulate.Result) string {
		return fmt.Sprintf("%.1f device-h", r.LostDeviceHours)
	})
	row("gangs finished (timed out)", "all", func(r *simulate.Result) string { return fmt.Sprintf("%d (%d)", r.Finished, r.TimedOut) })
	row("makespan", "", func(r *simulate.Result) string { return hours(r.Makespan) })
	w.Flush()
}

func printWaits(r *simulate.Result) {
	fmt.Println()
	w := table()
	fmt.Fprintln(w, "class\tplacements\tp50 wait\tp99 wait")
	for _, c := range r.Waits {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", c.Class, c.Count, c.P50.Round(time.Second), c.P99.Round(time.Second))
	}
	w.Flush()
}

func printShares(r *simulate.Result) {
	fmt.Println()
	w := table()
	fmt.Fprintf(w, "project\tweight\tshare of device-time, %s–%s\tweight share\tratio\n", hours(r.FairFrom), hours(r.FairTo))
	for _, s := range r.Shares {
		if !s.Always {
			fmt.Fprintf(w, "%s\t%g\t(ran out of pending work in the window)\t\t\n", s.Project, s.Weight)
			continue
		}
		fmt.Fprintf(w, "%s\t%g\t%.2f%%\t%.2f%%\t%.2f\n", s.Project, s.Weight, 100*s.Share, 100*s.WeightShare, s.Share/s.WeightShare)
	}
	w.Flush()
}

func hours(d time.Duration) string { return fmt.Sprintf("%.1fh", d.Hours()) }
