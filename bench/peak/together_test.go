package peak

import (
	"runtime"
	"testing"
)

func TestTogether(t *testing.T) {
	alone := Measure().PerCore()
	if alone == 0 {
		t.Skip("no peak measured on this architecture")
	}
	if got := Together(1); len(got) != 1 || got[0].PerCore() <= 0 {
		t.Fatalf("Together(1) = %v", got)
	}
	peaks := Together(2)
	if len(peaks) != 2 {
		t.Fatalf("Together(2) gave %d peaks", len(peaks))
	}
	for i, p := range peaks {
		// Sharing a core can halve a thread's FMA rate; nothing can raise it above a thread
		// alone beyond the clock's drift between the two measurements.
		if p.PerCore() <= 0 || p.PerCore() > 1.25*alone {
			t.Errorf("thread %d: %.1f GFLOP/s, alone %.1f", i, p.PerCore(), alone)
		}
	}
	if s := Sum(peaks); s != peaks[0].PerCore()+peaks[1].PerCore() {
		t.Errorf("Sum = %v", s)
	}
	if p := PerThread(2); p <= 0 || p > 1.25*alone {
		t.Errorf("PerThread(2) = %.1f GFLOP/s, alone %.1f", p, alone)
	}
	// With one processor the threads take turns at the barrier; it must not deadlock.
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	if got := Together(2); len(got) != 2 || got[0].PerCore() <= 0 || got[1].PerCore() <= 0 {
		t.Fatalf("Together(2) on one processor = %v", got)
	}
}
