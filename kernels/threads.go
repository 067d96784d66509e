package kernels

import (
	"runtime"
	"sync/atomic"
)

var threadSetting atomic.Int64

// SetThreads sets how many goroutines Sgemm may use; n <= 0 means runtime.GOMAXPROCS(0),
// the default. Results do not depend on it.
func SetThreads(n int) { threadSetting.Store(int64(max(n, 0))) }

// Threads returns the number of goroutines Sgemm uses now.
func Threads() int {
	if n := int(threadSetting.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}
