package trainer

import (
	"context"
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// rankEnd is how this node's share of an attempt ended when it returned no error.
type rankEnd struct {
	// stopped: the ranks stopped on the leader's stop request once step's state was
	// committed (by rank 0, on whichever node it runs).
	stopped bool
	step    int64
}

// stopRecordPatience bounds how long an agent whose ranks stopped on request waits
// for its own copy of the attempt to carry the request: the ranks agree among
// themselves, so a rank on another node may have been told first while this agent's
// assignment poll lags a moment behind.
const stopRecordPatience = 10 * time.Second

// stoppedEnd is the end this rank reports when its ranks stopped on request at step:
// stopped, naming the checkpoint and the request's detail (the FSM counts rank 0's).
// An attempt whose record never carries a request is ended failed, not succeeded:
// its ranks stopped before the run was done, and the coordinator would refuse
// "stopped" for an attempt it never asked to stop.
func stoppedEnd(ctx context.Context, updates *attemptUpdates, step int64) (status, reason string) {
	stop := updates.waitStop(ctx, stopRecordPatience)
	if stop == nil {
		return structs.AttemptFailed, fmt.Sprintf("the ranks stopped at step %d on a stop request the attempt's record does not carry (waited %s)",
			step, stopRecordPatience)
	}
	return structs.AttemptStopped, fmt.Sprintf("checkpointed at step %d on request: %s", step, stop.Detail)
}
