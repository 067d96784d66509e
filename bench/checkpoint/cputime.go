package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuClock reads the CPU time used so far by this process (every goroutine: training
// and checkpoint writer) plus the MinIO server it started. On a machine shared with
// other work, the wall time of a step swings with their load by far more than the
// few per cent a checkpoint costs; CPU time spent by our own processes barely does,
// so CPU per step, with and without checkpoints, says what checkpoints cost a
// dedicated machine whose cores training keeps busy.
type cpuClock struct {
	minioPID int // 0: no MinIO server
}

// now returns the CPU time so far.
func (c cpuClock) now() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if c.minioPID > 0 {
		total += procCPU(c.minioPID)
	}
	return total
}

// procCPU is a process's user plus system time from /proc/<pid>/stat (0 if it is
// gone): fields 14 and 15, in clock ticks of 1/100 s.
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // after the command name
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100)
}
