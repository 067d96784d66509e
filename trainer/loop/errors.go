package loop

import "errors"

// ErrNotReplayable: the checkpoints given to Replay cannot be reproduced by training
// from one to the other (out of order, or other random state).
var ErrNotReplayable = errors.New("checkpoints not replayable")
