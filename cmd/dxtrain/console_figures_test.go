package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// consoles is how many browser tabs watch the run for the CPU figure.
const consoles = 20

// TestConsoleFigures measures the console (make console-figures): the experiment
// page's load to its first drawn curves with 10,000 metric points, the bytes it
// transfers, and the coordinator's CPU with 20 consoles open on a training run.
func TestConsoleFigures(t *testing.T) {
	if os.Getenv("DXTRAIN_CONSOLE_FIGURES") == "" {
		t.Skip("set DXTRAIN_CONSOLE_FIGURES=1 (make console-figures)")
	}
	c := startDev(t)
	ctx := browser(t, c)
	researcher := c.token(t, "researcher", structs.RoleResearcher)
	api := c.api(t, c.admin)
	// Training runs in an agent process of its own, so the dev process's CPU is the
	// coordinator's: its in-process agent is drained.
	if _, err := api.DrainNode(t.Context(), "dev-agent-1", true); err != nil {
		t.Fatal(err)
	}
	startKillableAgent(t, c, "worker")
	c.must(t, c.admin, "datasets", "ingest", "datasets/specs/wdbc-ingest.yaml")
	// Validation reports go out at most ten a second: 2,500 of them take over four
	// minutes, so the run is wider (about 100 epochs a second, not 1,700) to outlast
	// them and the CPU windows below.
	spec := longSpec(t, t.TempDir(), 512)
	id := strings.TrimSpace(c.must(t, researcher, "run", spec, "--detach"))

	// The run's own reports fill its series; at 2,500 reports of four metrics it is
	// cancelled, so the page is measured on a series that no longer moves.
	testutil.WaitFor(t, 8*time.Minute, "2,500 progress reports", func() (bool, string) {
		e, err := api.Experiment(t.Context(), id)
		if err != nil {
			return false, err.Error()
		}
		return len(e.Series) >= 2505, fmt.Sprintf("%d points, %s", len(e.Series), e.Status) // the first carries no validation yet
	})
	if _, err := api.CancelExperiment(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, id, structs.ExperimentCancelled)
	if e, _ := api.Experiment(t.Context(), id); len(e.Series) < 2500 {
		t.Fatalf("the series was halved to %d points before the run stopped; run again", len(e.Series))
	}

	// A first visit, with nothing cached, transfers every file of the console.
	do(t, ctx, "first visit", chromedp.Navigate("https://"+c.addr+"/ui/"), chromedp.WaitVisible(chromedp.ID("token")))
	files := eval[float64](t, ctx, `performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0) + performance.getEntriesByType('navigation')[0].transferSize`)
	decoded := eval[float64](t, ctx, `performance.getEntriesByType('resource').reduce((n, r) => n + r.decodedBodySize, 0) + performance.getEntriesByType('navigation')[0].decodedBodySize`)

	signIn(t, ctx, c, researcher)
	var loads, paints []float64
	var points int
	for range 5 {
		do(t, ctx, "load the experiment page", chromedp.Navigate("about:blank"), chromedp.Navigate("https://"+c.addr+"/ui/#/experiments/"+id),
			chromedp.WaitVisible(chromedp.CSS("#curves figure")))
		waitJS(t, ctx, "curves drawn", `performance.getEntriesByName('dxtrain-curves-drawn').length > 0`)
		loads = append(loads, eval[float64](t, ctx, `performance.getEntriesByName('dxtrain-curves-drawn')[0].startTime`))
		paints = append(paints, eval[float64](t, ctx, `(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: 0}).startTime`))
		points = eval[int](t, ctx, `Number(document.querySelector('#curves').dataset.points)`)
	}
	data := eval[float64](t, ctx, `performance.getEntriesByType('resource').filter(r => r.name.includes('/v1/experiments/')).reduce((n, r) => Math.max(n, r.transferSize), 0)`)
	t.Logf("experiment page with %d metric points: curves drawn %.0f ms after navigation start (median of 5: %v), first contentful paint %.0f ms",
		points, median(loads), loads, median(paints))
	t.Logf("transfer: a first visit %.1f kB over the wire (%.1f kB of files before gzip); the experiment's JSON with its series %.1f kB", files/1000, decoded/1000, data/1000)
	if points < 10000 {
		t.Errorf("the page drew %d points, want ≥ 10,000", points)
	}

	// CPU: the coordinator's process while a run trains, without and then with 20
	// consoles following it.
	id = strings.TrimSpace(c.must(t, researcher, "run", spec, "--detach"))
	waitStatus(t, c, id, structs.ExperimentRunning)
	idle := cpuOver(t, c.pid, 20*time.Second)
	// Each console is a window of its own, opened by the signed-in page (which hands
	// it a copy of its session storage, as a user's "open in new window" does).
	do(t, ctx, "open the consoles", script(fmt.Sprintf(
		`window.consoles = []; for (let i = 0; i < %d; i++) window.consoles.push(window.open('#/experiments/%s', '_blank'))`, consoles, id)))
	const drawn = `window.consoles.map(w => Number(w.document.querySelector('#curves')?.dataset.points || 0))`
	testutil.WaitFor(t, 2*time.Minute, "every console draws the run", func() (bool, string) {
		n := eval[[]int](t, ctx, drawn)
		return len(n) == consoles && !slices.Contains(n, 0), fmt.Sprint(n)
	})
	before := eval[[]int](t, ctx, drawn)
	watched := cpuOver(t, c.pid, 20*time.Second)
	after := eval[[]int](t, ctx, drawn)
	for i := range after {
		if after[i] <= before[i] {
			t.Errorf("console %d stopped following the run: %d points, then %d", i, before[i], after[i])
		}
	}
	if e, _ := api.Experiment(t.Context(), id); e.Status != structs.ExperimentRunning {
		t.Fatalf("the run ended (%s) before the CPU was measured: lengthen it", e.Status)
	}
	t.Logf("coordinator CPU while the run trains: %.1f%% of a core without consoles, %.1f%% with %d consoles following it (%.1f%% for the consoles)",
		idle, watched, consoles, watched-idle)
	if _, err := api.CancelExperiment(context.Background(), id); err != nil {
		t.Log(err)
	}
}

// cpuOver is a process's CPU use over d, in percent of one core (utime + stime).
func cpuOver(t *testing.T, pid int, d time.Duration) float64 {
	t.Helper()
	ticks := func() float64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		u, _ := strconv.ParseFloat(f[11], 64)
		s, _ := strconv.ParseFloat(f[12], 64)
		return u + s
	}
	start, t0 := ticks(), time.Now()
	time.Sleep(d)
	used := ticks() - start
	t.Logf("pid %d: %.0f ticks of CPU in %v", pid, used, time.Since(t0).Round(time.Millisecond))
	return used / 100 / time.Since(t0).Seconds() * 100 // USER_HZ is 100 on Linux
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
