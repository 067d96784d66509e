package trainer

import (
	"context"
	"log/slog"
	"maps"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// progressReporter forwards the step loop's progress to the coordinator at most once
// per interval, and validation results at most ten times per interval, off the step
// loop's hot path. (Validation used to go out unthrottled: a run whose epochs last a
// few milliseconds then reported ~100 times a second, and its Raft entries were most
// of the coordinator's CPU.) A throttled report is kept and sent with the next one or
// at the end, so the newest metrics always arrive.
type progressReporter struct {
	api   *client.Client
	every time.Duration
	log   *slog.Logger
	base  structs.ProgressArgs

	last     time.Time
	lastLoss float64
	lastRate float64
	pending  *structs.ProgressArgs
	metrics  map[string]float64
	sending  chan struct{}
}

func (r *progressReporter) report(p loop.Progress) {
	if p.Validation != nil {
		r.metrics = map[string]float64{"val_loss": p.Validation.Loss, "val_accuracy": p.Validation.Accuracy, "val_auroc": p.Validation.AUROC}
	}
	if p.Validation == nil {
		r.lastLoss, r.lastRate = float64(p.Loss), p.SamplesPerSec
	}
	args := r.base
	args.Step, args.Epoch, args.Loss, args.SamplesPerSec = p.Step, p.Epoch, r.lastLoss, r.lastRate
	args.Metrics = maps.Clone(r.metrics)
	gap := r.every
	if p.Validation != nil {
		gap /= 10
	}
	if time.Since(r.last) < gap {
		r.pending = &args
		return
	}
	r.send(args)
}

// reportMetrics forwards a torch script's report: the same throttle, with the loss
// taken from the "loss" metric when the script reports one.
func (r *progressReporter) reportMetrics(step int64, metrics map[string]float64) {
	args := r.base
	args.Step, args.Metrics = step, maps.Clone(metrics)
	if r.pending != nil { // a throttled report keeps the newest value of every metric
		merged := maps.Clone(r.pending.Metrics)
		maps.Copy(merged, metrics)
		args.Metrics = merged
	}
	args.Loss = args.Metrics["loss"]
	if time.Since(r.last) < r.every {
		r.pending = &args
		return
	}
	r.send(args)
}

// send posts in the background; while a post is in flight newer progress replaces the
// pending one instead of queueing.
func (r *progressReporter) send(args structs.ProgressArgs) {
	if r.sending != nil {
		select {
		case <-r.sending:
		default:
			r.pending = &args
			return
		}
	}
	r.last, r.pending = time.Now(), nil
	done := make(chan struct{})
	r.sending = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := r.api.ReportProgress(ctx, args); err != nil {
			r.log.Debug("report progress", "error", err)
		}
	}()
}

// flush sends the last progress, waiting for posts in flight.
func (r *progressReporter) flush(ctx context.Context) {
	if r.sending != nil {
		select {
		case <-r.sending:
		case <-ctx.Done():
		}
	}
	if r.pending != nil {
		r.sending = nil
		r.send(*r.pending)
		<-r.sending
	}
}
