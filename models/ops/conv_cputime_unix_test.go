//go:build unix

package ops

import (
	"syscall"
	"time"
)

// processCPUTime is the user and system CPU time of the whole process so far: a
// benchmark's figure that contention from other processes inflates far less than
// wall time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
