package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/pprof/profile"

	"github.com/dxtrain/dxtrain/bench/peak"
)

// The kinds of work a step's CPU time is sorted into, in the order the profile prints them.
const (
	kindKernel   = "sgemm micro-kernels (full and partial tiles)"
	kindTiling   = "sgemm packing, tiling"
	kindIm2col   = "im2col, col2im"
	kindElement  = "element-wise (activations, pooling, bias, loss)"
	kindOptim    = "optimizer"
	kindCopy     = "copies, clears"
	kindAlloc    = "allocation, GC"
	kindSync     = "synchronisation (hand-offs, spinning, scheduler)"
	kindGraph    = "graph executor, other"
	kindIdle     = "idle (a thread with nothing to run)"
	profileSlack = 0.03 // a profile that samples less than this share of the run is not printed
)

var profileKinds = []string{kindKernel, kindTiling, kindIm2col, kindElement, kindOptim, kindCopy, kindAlloc, kindSync, kindGraph, kindIdle}

// frameRule sorts a stack by the first frame, leaf first, whose function name has one of
// the prefixes. Copies and clears are attributed to the kernel that asked for them when
// one is found further up, so that im2col's copies count as im2col.
type frameRule struct {
	kind     string
	prefixes []string
}

var frameRules = []frameRule{
	// The masked kernels of partial tiles (sgemmAVX512R<rows>V<vectors>) compute their
	// share of the products' work: counted as tiling, they hid 6-9% of the CNN's step from
	// the kernel's time and so raised its achieved fraction of peak.
	{kindKernel, []string{"github.com/dxtrain/dxtrain/kernels.sgemmKernel", "github.com/dxtrain/dxtrain/kernels.kernel",
		"github.com/dxtrain/dxtrain/kernels.sgemmAVX512R", "github.com/dxtrain/dxtrain/kernels.edgeAVX512"}},
	{kindTiling, []string{"github.com/dxtrain/dxtrain/kernels.pack", "github.com/dxtrain/dxtrain/kernels.(*gemmArgs)",
		"github.com/dxtrain/dxtrain/kernels.(*gemmCall)", "github.com/dxtrain/dxtrain/kernels.scaleC",
		"github.com/dxtrain/dxtrain/kernels.sgemm", "github.com/dxtrain/dxtrain/kernels.Sgemm"}},
	{kindIm2col, []string{"github.com/dxtrain/dxtrain/kernels.Im2col", "github.com/dxtrain/dxtrain/kernels.Col2im",
		"github.com/dxtrain/dxtrain/kernels.im2col", "github.com/dxtrain/dxtrain/kernels.col2im", "github.com/dxtrain/dxtrain/kernels.validRange"}},
	{kindOptim, []string{"github.com/dxtrain/dxtrain/kernels.adam", "github.com/dxtrain/dxtrain/kernels.Adam",
		"github.com/dxtrain/dxtrain/kernels.(*adamCall)", "github.com/dxtrain/dxtrain/kernels.sgd", "github.com/dxtrain/dxtrain/kernels.SGD",
		"github.com/dxtrain/dxtrain/kernels.(*sgdCall)", "github.com/dxtrain/dxtrain/kernels.momentum", "github.com/dxtrain/dxtrain/models.(*Optimizer)"}},
	{kindAlloc, []string{"runtime.mallocgc", "runtime.gc", "runtime.(*mheap)", "runtime.(*mcache)", "runtime.(*mcentral)",
		"runtime.scanobject", "runtime.markroot", "runtime.(*gcWork)", "runtime.bgsweep", "runtime.sweepone",
		"runtime.(*sweepLocked)", "runtime.newobject", "runtime.makeslice", "runtime.growslice", "runtime.greyobject", "runtime.scanblock"}},
	{kindSync, []string{"github.com/dxtrain/dxtrain/kernels.spin", "github.com/dxtrain/dxtrain/kernels.(*worker)",
		"github.com/dxtrain/dxtrain/kernels.(*parts)",
		"github.com/dxtrain/dxtrain/kernels.runParallel", "github.com/dxtrain/dxtrain/kernels.workersFor",
		"runtime.schedule", "runtime.findRunnable", "runtime.mcall", "runtime.park_m", "runtime.gosched", "runtime.Gosched",
		"runtime.chansend", "runtime.chanrecv", "runtime.selectgo", "runtime.semacquire", "runtime.semrelease",
		"sync.(*WaitGroup)", "sync.(*Mutex)", "runtime.futex", "runtime.notesleep", "runtime.notewakeup",
		"runtime.wakep", "runtime.goready", "runtime.ready", "runtime.stealWork", "runtime.runqgrab", "runtime.usleep", "runtime.osyield"}},
	{kindElement, []string{"github.com/dxtrain/dxtrain/kernels.", "github.com/dxtrain/dxtrain/models/ops."}},
}

var copyFuncs = []string{"runtime.memmove", "runtime.memclrNoHeapPointers", "runtime.typedmemmove"}

// callerFuncs do work for whichever kernel calls them, and count as that kernel's: the
// 16×16 transpose packs SGEMM operands (tiling) and transposes the pooling's inputs and
// the convolution's weight gradient (element-wise).
var callerFuncs = []string{"github.com/dxtrain/dxtrain/kernels.transpose16"}

// classify returns the kind of work of one stack, given leaf first.
func classify(funcs []string) string {
	sawCopy := false
	for _, f := range funcs {
		if f == "runtime.asyncPreempt" || f == "runtime.asyncPreempt2" {
			continue
		}
		if hasPrefix(f, copyFuncs) {
			sawCopy = true
			continue
		}
		if hasPrefix(f, callerFuncs) {
			continue
		}
		for _, r := range frameRules {
			if !hasPrefix(f, r.prefixes) {
				continue
			}
			if sawCopy && (r.kind == kindSync || r.kind == kindAlloc) {
				return kindCopy
			}
			return r.kind
		}
	}
	if sawCopy {
		return kindCopy
	}
	return kindGraph
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// stepProfile is where a step's time went: CPU time per kind of work over a profiled run,
// and the threads' idle time (threads × wall time − CPU time sampled).
type stepProfile struct {
	steps     int
	wall      time.Duration
	threads   int
	byKind    map[string]time.Duration
	roundTrip time.Duration // peak.CoreRoundTrip just before the profiled run
}

// profileSteps runs step for about d under the CPU profiler and sorts the samples.
func profileSteps(step func() error, threads int, d time.Duration) (stepProfile, error) {
	p := stepProfile{threads: threads, byKind: map[string]time.Duration{}, roundTrip: peak.CoreRoundTrip()}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return stepProfile{}, fmt.Errorf("cpu profile: %w", err)
	}
	start := time.Now()
	for time.Since(start) < d {
		if err := step(); err != nil {
			pprof.StopCPUProfile()
			return stepProfile{}, err
		}
		p.steps++
	}
	p.wall = time.Since(start)
	pprof.StopCPUProfile()
	prof, err := profile.Parse(&buf)
	if err != nil {
		return stepProfile{}, fmt.Errorf("parse cpu profile: %w", err)
	}
	cpuIndex := len(prof.SampleType) - 1 // "cpu" nanoseconds follow the sample count
	var sampled time.Duration
	for _, s := range prof.Sample {
		var funcs []string
		for _, loc := range s.Location {
			for _, line := range loc.Line { // inlined frames first, as the profile lists them
				if line.Function != nil {
					funcs = append(funcs, line.Function.Name)
				}
			}
		}
		t := time.Duration(s.Value[cpuIndex])
		p.byKind[classify(funcs)] += t
		sampled += t
	}
	p.byKind[kindIdle] = max(0, time.Duration(threads)*p.wall-sampled)
	return p, nil
}

// print writes the profile: per kind, its time per step and its share of the threads' time.
func (p stepProfile) print(w io.Writer, model string, kernelFlops float64, perCorePeak float64) {
	total := time.Duration(p.threads) * p.wall
	if p.steps == 0 || total <= 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s: where a step's time goes (%d steps, %d threads × %.1f s profiled, core round trip %d ns)\tms/step\tshare\t\n",
		model, p.steps, p.threads, p.wall.Seconds(), p.roundTrip.Nanoseconds())
	for _, k := range profileKinds {
		t := p.byKind[k]
		fmt.Fprintf(tw, "%s\t%.2f\t%.1f%%\t\n", k, ms(t)/float64(p.steps), 100*float64(t)/float64(total))
	}
	tw.Flush()
	if kt := p.byKind[kindKernel]; kt > 0 && perCorePeak > 0 {
		rate := kernelFlops * float64(p.steps) / kt.Seconds() / 1e9
		fmt.Fprintf(w, "%s: the SGEMM micro-kernels, while they run, compute %.0f GFLOP/s a core: %.0f%% of the per-core peak "+
			"(%.1f GFLOP/s, the threads measured at once just before this profile)\n", model, rate, 100*rate/perCorePeak, perCorePeak)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
