package trainer

import (
	"context"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/trainer/runtime/channel"
)

// openChannel listens for this node's ranks on the attempt's Unix socket and records
// its path in work.socket for their environment.
func (a *Agent) openChannel(work *torchWorkDir, secret string, w torchWorld, spec *experiments.Spec, host *torchHost,
	resume *torchResume, touch func(int)) (*channel.Server, error) {
	ranks := make([]int, w.localWorld)
	for local := range ranks {
		ranks[local] = w.globalRank(local)
	}
	info := func(rank int) (channel.HelloInfo, error) {
		hi := channel.HelloInfo{Experiment: host.as.Experiment.ID, Attempt: host.as.Attempt.ID, Rank: rank,
			WorldSize: w.size(), LocalRank: rank - w.globalRank(0), Seed: spec.Seed,
			Dataset: channel.Dataset{Dir: work.data}, CheckpointDir: work.checkpoints, MaxCheckpointBytes: host.maxBytes}
		if resume != nil {
			hi.Resume = &channel.Resume{Step: resume.record.Step, Dir: resume.dir, CheckpointID: resume.record.ID,
				Metrics: resume.record.Metrics}
		}
		return hi, nil
	}
	srv, err := channel.Listen(channel.Config{Dir: work.root, Secret: secret, Ranks: ranks, WorkDir: work.root,
		Info: info, Handler: channelHandler{host}, Touch: touch, Logger: host.log,
		Stop: host.stopRequest, Stopped: host.rankStopped})
	if err != nil {
		return nil, err
	}
	work.socket = srv.Path()
	return srv, nil
}

// channelHandler adapts torchHost to the channel's Handler.
type channelHandler struct{ h *torchHost }

func (c channelHandler) Report(rank int, step int64, metrics map[string]float64) {
	c.h.report(rank, step, metrics)
}

func (c channelHandler) Checkpoint(ctx context.Context, _ int, step int64, dir string, metrics map[string]float64) (channel.CheckpointResult, error) {
	id, sha, err := c.h.checkpoint(ctx, step, dir, metrics)
	return channel.CheckpointResult{CheckpointID: id, ManifestSHA256: sha}, err
}

func (c channelHandler) ONNX(ctx context.Context, _ int, path, inputs, outputs string) (channel.ONNXResult, error) {
	sha, diff, err := c.h.onnx(ctx, path, inputs, outputs)
	return channel.ONNXResult{SHA256: sha, MaxAbsDiff: diff}, err
}
