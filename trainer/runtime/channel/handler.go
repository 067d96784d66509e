package channel

import "context"

// Handler carries out what the ranks ask for. The server calls it only with input it
// has checked: finite metrics with valid names, non-negative steps, checkpoint and
// ONNX calls from rank 0 only, increasing checkpoint steps, and paths resolved (symlinks
// followed) to lie under the checkpoint or work directory. Calls for different ranks
// may run concurrently; calls for one rank never do.
type Handler interface {
	// Report records a rank's metrics at step. Report steps never go down.
	Report(rank int, step int64, metrics map[string]float64)
	// Checkpoint uploads every regular file under dir, commits the checkpoint and
	// returns what was committed. An error is passed to the rank as the reason, and
	// the step may then be tried again. It must return soon after ctx is cancelled.
	Checkpoint(ctx context.Context, rank int, step int64, dir string, metrics map[string]float64) (CheckpointResult, error)
	// ONNX checks the model at path against the sample inputs and outputs, stores it
	// and records it. An error is passed to the rank as the reason. It must return
	// soon after ctx is cancelled.
	ONNX(ctx context.Context, rank int, path, inputs, outputs string) (ONNXResult, error)
}
