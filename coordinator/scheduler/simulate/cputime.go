package simulate

import (
	"syscall"
	"time"
)

// cpuNow is the CPU time this process has used (user + system, every thread), so
// that the scheduler's cost is measured as CPU, which other load on a shared
// machine barely moves, and includes the garbage collection its allocations cause.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
