//go:build amd64

package peak

import (
	"fmt"
	"runtime"

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
	best := 0.0
	for range 7 {
		t0 := threadSeconds()
		f(n)
		best = max(best, float64(n)/(threadSeconds()-t0))
	}
	return best
}

// Measure times the clock and the FMA throughput on the calling thread.
func Measure() Peak {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	hz := bestRate(addChain, 2_000_000) * 64
	p := Peak{hz: hz, lanes: 8}
	if cpu.X86.HasAVX512F {
		p.lanes = 16
		p.flopPerCycle = bestRate(fmaZMM, 1_000_000) * 24 * 16 * 2 / hz
	} else if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		p.flopPerCycle = bestRate(fmaYMM, 2_000_000) * 12 * 8 * 2 / hz
	}
	p.fmaPerCycle = max(1, int(p.flopPerCycle/float64(2*p.lanes)+0.5))
	return p
}
