package validator

import (
	"context"
	"log/slog"

	"github.com/dxtrain/dxtrain/trainer/loop"
)

// LinkResult is one link's replay: its report, or why it could not be replayed (a
// checkpoint that no longer loads and verifies, a spec the engine refuses).
type LinkResult struct {
	Link   Link
	Report *loop.ReplayReport // nil when Err is set
	Err    error
}

// ReplayOptions are how a validator's machine replays torch runs.
type ReplayOptions struct {
	// Python is the interpreter the replayed ranks and the comparison run ("python3").
	Python string
	// Tolerance is the largest |diff| accepted where a run trained on GPUs is replayed
	// on the CPU; a run trained on the CPU must replay bit for bit.
	Tolerance float64
	// Device is where a torch run's ranks replay: "cpu" (gloo), "gpu" (rank r on this
	// machine's GPU r; the script picks NCCL), or "auto" (the default): on GPUs when the
	// run trained on GPUs and this machine has one per rank, else on the CPU. A run
	// replayed on the device it trained on must be bit-identical.
	Device string
	// WorkDir holds each replay's temporary directory ("" is os.TempDir()).
	WorkDir string
	// Logger receives the ranks' launch events; nil means slog.Default().
	Logger *slog.Logger
}

// Replay replays each link in turn — loads its checkpoints (verifying every blob),
// trains from From to To's step with the recorded world size and compares every
// tensor — and hands each result to done as it is made. A link that cannot be
// replayed does not stop the others; the returned error is only for what stops them
// all (the dataset cannot be read, the context ends).
func (s *Session) Replay(ctx context.Context, links []Link, opts ReplayOptions, done func(LinkResult)) ([]LinkResult, error) {
	var data *loop.Data
	var err error
	if s.Spec.IsTorch() {
		err = opts.resolve()
	} else {
		data, err = loop.LoadData(ctx, s.Spec, s.Store, s.Datasets, 0, 1)
	}
	if err != nil {
		return nil, err
	}
	var results []LinkResult
	for _, link := range links {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		r := LinkResult{Link: link}
		if s.Spec.IsTorch() {
			r.Report, r.Err = s.replayTorchLink(ctx, link, opts)
		} else {
			r.Report, r.Err = s.replayLink(ctx, data, link)
		}
		results = append(results, r)
		if done != nil {
			done(r)
		}
	}
	return results, nil
}

func (s *Session) replayLink(ctx context.Context, data *loop.Data, link Link) (*loop.ReplayReport, error) {
	from, err := s.load(ctx, link.From)
	if err != nil {
		return nil, err
	}
	to, err := s.load(ctx, link.To)
	if err != nil {
		return nil, err
	}
	return loop.Replay(ctx, s.Spec, data, from, to)
}
