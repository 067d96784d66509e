//go:build !unix

package ops

import "time"

// processCPUTime is not measured on this system; benchmarks then report 0 CPU time.
func processCPUTime() time.Duration { return 0 }
