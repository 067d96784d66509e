package trainer

import (
	"fmt"
	"maps"
	"slices"

	"github.com/dxtrain/dxtrain/trainer/runtime/channel"
)

// stopRequest is what the channel tells the ranks in its answers to report and ping:
// the leader's stop request, once the attempt's newest record carries one.
func (h *torchHost) stopRequest() (channel.StopRequest, bool) {
	stop := h.updates.stop()
	if stop == nil {
		return channel.StopRequest{}, false
	}
	if !h.stopTold.Swap(true) {
		h.log.Info("telling the ranks to checkpoint and stop", "reason", stop.Reason, "detail", stop.Detail)
	}
	return channel.StopRequest{Reason: stop.Reason, Detail: stop.Detail}, true
}

// rankStopped records a rank's word that it stopped on request after checkpointing
// step; the first word of each rank counts.
func (h *torchHost) rankStopped(rank int, step int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stoppedAt == nil {
		h.stoppedAt = map[int]int64{}
	}
	if _, ok := h.stoppedAt[rank]; !ok {
		h.stoppedAt[rank] = step
		h.log.Info("rank stopped on request", "rank", rank, "step", step)
	}
}

// end says how a gang whose processes all exited 0 ended: finished, unless its ranks
// said they stopped on request. The node of rank 0 (holdsRank0) vouches that the
// state rank 0 stopped in is saved: the newest committed checkpoint, this attempt's
// or the one it resumed from, must be at the step rank 0 stopped at. A gang that
// stopped early without that checkpoint is an error, not a success: its run is not
// done, and what it trained since the last checkpoint is lost. The other nodes'
// ranks stop with rank 0 (their scripts agree on the step) and their agents take
// their word; the coordinator ends the attempt on rank 0's.
func (h *torchHost) end(holdsRank0 bool) (rankEnd, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.stoppedAt) == 0 {
		return rankEnd{}, nil
	}
	ranks := slices.Sorted(maps.Keys(h.stoppedAt))
	if !holdsRank0 {
		return rankEnd{stopped: true, step: h.stoppedAt[ranks[0]]}, nil
	}
	step, ok := h.stoppedAt[0]
	switch {
	case !ok:
		return rankEnd{}, fmt.Errorf("ranks %v said they stopped on request, but rank 0 did not", ranks)
	case h.lastStep < 0:
		return rankEnd{}, fmt.Errorf("rank 0 stopped on request at step %d with no checkpoint committed: the run is not done and its state is not saved", step)
	case h.lastStep != step:
		return rankEnd{}, fmt.Errorf("rank 0 stopped on request at step %d, but the newest committed checkpoint is at step %d: the state it stopped in is not saved", step, h.lastStep)
	}
	return rankEnd{stopped: true, step: step}, nil
}
