//go:build amd64

package peak

import (
	"fmt"
	"runtime"
	"slices"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
)

func addChain(n int)
func fmaZMM(n int)
func fmaYMM(n int)

// Peak is the machine's fp32 peak per core and how it was derived.
type Peak struct {
	hz           float64 // measured core clock
	flopPerCycle float64 // measured fp32 flops per cycle of the widest FMA
	lanes        int     // fp32 lanes of that FMA
	fmaPerCycle  int     // FMA instructions of that width retired per cycle, rounded
}

// PerCore is the fp32 peak of one core in GFLOP/s: clock × FMAs/cycle × lanes × 2.
func (p Peak) PerCore() float64 { return p.hz * float64(p.fmaPerCycle*p.lanes*2) / 1e9 }

func (p Peak) String() string {
	return fmt.Sprintf("fp32 peak per core = %.2f GHz × %d FMA/cycle × %d lanes × 2 flop = %.1f GFLOP/s "+
		"(clock: timed 64-deep dependent integer-add chain, thread CPU time, best of 7; "+
		"FMA rate: timed 24 independent %d-bit FMAs, measured %.1f flop/cycle)",
		p.hz/1e9, p.fmaPerCycle, p.lanes, p.PerCore(), p.lanes*32, p.flopPerCycle)
}

// threadSeconds returns this OS thread's CPU time, which excludes time other processes hold
// the core: the machine is shared, and wall time would undercount the clock.
func threadSeconds() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(fmt.Errorf("clock_gettime thread cputime: %w", err))
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

// bestRate runs f(n) 7 times and returns the highest n/second seen.
func bestRate(f func(int), n int) float64 {
	return slices.Max(rates(f, n, nil))
}

// rates runs f(n) 7 times, each after beforeRep if it is set, and returns n/second of each.
func rates(f func(int), n int, beforeRep func()) []float64 {
	out := make([]float64, 7)
	for i := range out {
		if beforeRep != nil {
			beforeRep()
		}
		t0 := threadSeconds()
		f(n)
		out[i] = float64(n) / (threadSeconds() - t0)
	}
	return out
}

// Measure times the clock and the FMA throughput on the calling thread.
func Measure() Peak { return measure(nil) }

// measure is Measure with beforeRep, if set, run before each timed FMA repetition
// (Together's barrier). Then the FMA rate is the median repetition, not the best: a
// repetition that the other threads did not overlap, because the host ran one of them
// late, has the core to itself and runs at the unshared rate.
func measure(beforeRep func()) Peak {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	hz := bestRate(addChain, 2_000_000) * 64
	fmaRate := func(f func(int), n int) float64 {
		r := rates(f, n, beforeRep)
		if beforeRep == nil {
			return slices.Max(r)
		}
		slices.Sort(r)
		return r[len(r)/2]
	}
	p := Peak{hz: hz, lanes: 8}
	if cpu.X86.HasAVX512F {
		p.lanes = 16
		p.flopPerCycle = fmaRate(fmaZMM, 1_000_000) * 24 * 16 * 2 / hz
	} else if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		p.flopPerCycle = fmaRate(fmaYMM, 2_000_000) * 12 * 8 * 2 / hz
	}
	p.fmaPerCycle = max(1, int(p.flopPerCycle/float64(2*p.lanes)+0.5))
	return p
}
