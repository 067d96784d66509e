// Package loop runs one training attempt: epochs of shuffled mini-batches through the
// model's graph, the optimizer and its learning-rate schedule, validation each epoch,
// and checkpoints on a cadence through the asynchronous writer; asked to stop
// (Config.StopRequested), it checkpoints the step it is at and returns. Every random
// choice derives from the spec's seed and the cursor, so a run stopped and resumed
// from a checkpoint ends bit-identical to one that never stopped.
package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// Config is one attempt.
type Config struct {
	Spec   *experiments.Spec
	Data   *Data
	Store  storage.Store     // where checkpoint blobs go
	Ledger checkpoint.Ledger // where checkpoints are committed
	// Resume continues from the latest committed checkpoint, if there is one.
	Resume bool
	// From, when set, is the checkpoint to continue from (replay); it overrides Resume.
	From *checkpoint.Loaded
	// NoCheckpoints trains without writing any checkpoint (replay must not add to the
	// ledger it is auditing).
	NoCheckpoints bool
	// StopAfterStep, when positive, checkpoints and stops once that step is reached:
	// an interruption on purpose, for tests and for the validator's replay.
	StopAfterStep int64
	// StopRequested, when set, is asked once per step whether the attempt must
	// checkpoint now and stop (the leader preempts it or its time is up); nil never
	// stops. In a data-parallel attempt the ranks agree in the step's all-reduce, so
	// once any rank sees true, every rank stops after that step's optimizer update.
	StopRequested func() bool
	// Comm joins the ranks of a data-parallel attempt; nil trains alone. Rank 0
	// broadcasts the initial state and alone writes checkpoints.
	Comm Collective
	// HashEvery is how often (in steps) the ranks compare a hash of their parameters;
	// 0 means every 50 steps.
	HashEvery int64
	// Progress, if set, is called after every step and every validation.
	Progress    func(Progress)
	Logger      *slog.Logger
	CodeVersion string
}

// Progress is what a progress bar shows.
type Progress struct {
	Epoch, Epochs     int
	Step, TotalSteps  int64
	Loss              float32
	SamplesPerSec     float64
	Validation        *Scores // set after a validation pass
	CheckpointPending bool
}

// Result is a finished (or deliberately stopped) attempt.
type Result struct {
	Network    models.Network
	Params     []*models.Param
	Optimizer  []*models.Param // the optimizer's state tensors
	Preprocess models.Preprocess
	Steps      int64
	Stopped    bool // StopAfterStep or a stop request came before the last epoch ended
	// StopRequested says the run stopped on Config.StopRequested: rank 0 committed
	// the state at step Steps before returning (unless NoCheckpoints). Validation and Test are then left
	// empty, so the devices are freed as soon as the checkpoint exists.
	StopRequested bool
	Validation    Scores
	Test          Scores
	TestProbs     []float32
	SamplesPerSec float64
	// TrainSamplesPerSec is the training steps' rate alone: samples over the loop's
	// time less ValidationTime and CheckpointTime, which the loop spent validating
	// at the ends of epochs and handing checkpoints to the writer.
	TrainSamplesPerSec             float64
	ValidationTime, CheckpointTime time.Duration
	// ComputeTime is the time spent in forward and backward passes, CommTime in the
	// gradient all-reduce (zero in a one-rank world).
	ComputeTime, CommTime time.Duration
	Checkpoints           []checkpoint.Record // committed during this attempt
	// FinalCheckpoint is the manifest holding the final state: the last one committed,
	// or the one resumed from when there was nothing left to train.
	FinalCheckpoint string
}

// attempt is the state of a run in progress.
type attempt struct {
	cfg       Config
	comm      Collective
	spec      *experiments.Spec
	net       models.Network
	params    []*models.Param
	opt       *models.Optimizer
	graph     models.Model
	writer    *checkpoint.Writer
	cursor    checkpoint.Cursor
	total     int64
	perEpoch  int
	source    BatchSource
	committed []checkpoint.Record
	saved     int64  // step of the last checkpoint submitted or resumed from; -1 for none
	resumed   string // manifest resumed from
	log       *slog.Logger
	scored    validations
	// validating and checkpointing are the step loop's time spent in validation and
	// in handing checkpoints to the writer (waiting for the previous one included).
	validating, checkpointing time.Duration
}

// rngAlgorithm names how training derives its random choices from the seed, as
// checkpoints record it: the shuffle of epoch e is PCG(seed, e).
const rngAlgorithm = "pcg(seed, epoch) shuffle"

// Run trains until the spec's epochs are done (or StopAfterStep, or a stop request),
// flushing the last checkpoint before it returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	a, err := newAttempt(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer a.graph.Close()
	res, runErr := a.run(ctx)
	if err := a.writer.Flush(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return nil, runErr
	}
	res.Checkpoints = a.committed
	res.FinalCheckpoint = a.resumed
	if n := len(a.committed); n > 0 && a.committed[n-1].Step == res.Steps {
		res.FinalCheckpoint = a.committed[n-1].ManifestSHA
	}
	return res, nil
}

func newAttempt(ctx context.Context, cfg Config) (*attempt, error) {
	spec := cfg.Spec
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	net, err := models.NewNetwork(models.Options{
		Architecture: spec.Model.Architecture, InputShape: cfg.Data.InputShape,
		Hidden: spec.Model.Hidden, Classes: len(cfg.Data.Classes),
	})
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", spec.Name, err)
	}
	params := models.InitParams(net, spec.Training.Seed)
	o := spec.Training.Optimizer
	opt, err := models.NewOptimizer(models.OptimizerConfig{
		Name: o.Name, Momentum: o.Momentum, Beta1: o.Beta1, Beta2: o.Beta2, Epsilon: o.Epsilon, WeightDecay: o.WeightDecay,
	}, params)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", spec.Name, err)
	}
	a := &attempt{cfg: cfg, comm: cfg.Comm, spec: spec, net: net, params: params, opt: opt, log: log, saved: -1}
	if a.comm == nil {
		a.comm = single{}
	}
	if a.comm.Rank() != 0 {
		a.cfg.NoCheckpoints = true // rank 0 writes every checkpoint of the attempt
	}
	a.source = cfg.Data.Source
	if a.source == nil {
		a.source = &memorySource{split: cfg.Data.Train, width: net.InputSize(), seed: spec.Training.Seed,
			batch: spec.Training.BatchSize, rank: a.comm.Rank(), world: a.comm.World()}
	}
	a.perEpoch = a.source.StepsPerEpoch()
	a.total = int64(a.perEpoch) * int64(spec.Training.Epochs)
	a.writer = checkpoint.NewWriter(cfg.Store, cfg.Ledger, func(r checkpoint.Record) { a.committed = append(a.committed, r) })
	switch {
	case a.comm.Rank() != 0: // state arrives from rank 0 in syncState
	case cfg.From != nil:
		if err := a.restore(cfg.From); err != nil {
			return nil, err
		}
	case cfg.Resume:
		if err := a.resume(ctx); err != nil {
			return nil, err
		}
	}
	if err := a.syncState(); err != nil {
		return nil, fmt.Errorf("experiment %s rank %d: %w", spec.Name, a.comm.Rank(), err)
	}
	perRank := (spec.Training.BatchSize + a.comm.World() - 1) / a.comm.World()
	a.graph, err = models.New(net, params, perRank)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", spec.Name, err)
	}
	return a, nil
}

func (a *attempt) resume(ctx context.Context) error {
	l, err := checkpoint.Latest(ctx, a.cfg.Ledger, a.cfg.Store, a.spec.Name, a.log)
	if errors.Is(err, checkpoint.ErrNoCheckpoint) {
		a.log.Info("no checkpoint to resume from; starting fresh", "experiment", a.spec.Name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("resume %s: %w", a.spec.Name, err)
	}
	return a.restore(l)
}

// restore loads a checkpoint's state into the attempt, refusing one written for
// another spec or dataset.
func (a *attempt) restore(l *checkpoint.Loaded) error {
	m := l.Manifest
	if m.SpecHash != a.spec.Hash() {
		return fmt.Errorf("resume %s: checkpoint at step %d was written by another spec (hash %.12s, this spec %.12s)", a.spec.Name, m.Cursor.Step, m.SpecHash, a.spec.Hash())
	}
	if m.DatasetHash != a.cfg.Data.Hash {
		return fmt.Errorf("resume %s: checkpoint at step %d was trained on another dataset (hash %.12s, this one %.12s)", a.spec.Name, m.Cursor.Step, m.DatasetHash, a.cfg.Data.Hash)
	}
	if err := l.RestoreParams(a.params); err != nil {
		return fmt.Errorf("resume %s: %w", a.spec.Name, err)
	}
	if err := a.opt.Restore(m.Cursor.OptimizerSteps, l.Optimizer); err != nil {
		return fmt.Errorf("resume %s: checkpoint %s: %w", a.spec.Name, l.ManifestSHA, err)
	}
	a.cursor, a.saved, a.resumed = m.Cursor, m.Cursor.Step, l.ManifestSHA
	a.writer.SetParent(l.ManifestSHA)
	a.log.Info("resumed", "experiment", a.spec.Name, "step", m.Cursor.Step, "epoch", m.Cursor.Epoch, "manifest", l.ManifestSHA)
	return nil
}

func (a *attempt) run(ctx context.Context) (*Result, error) {
	spec := a.spec
	bs, world := spec.Training.BatchSize, a.comm.World()
	perRank := (bs + world - 1) / world
	batch := models.Batch{X: make([]float32, perRank*a.net.InputSize()), Labels: make([]int32, perRank), Weights: make([]float32, perRank)}
	var grads gradientBuffer
	hashEvery := a.cfg.HashEvery
	if hashEvery <= 0 {
		hashEvery = 50
	}
	start, samples := time.Now(), 0
	res := &Result{Network: a.net, Params: a.params, Preprocess: a.cfg.Data.Preprocess}
	var open EpochBatches // closed on every way out, so its prefetching stops
	defer func() {
		if open != nil {
			open.Close()
		}
	}()
	for a.cursor.Epoch < spec.Training.Epochs {
		epoch := a.cursor.Epoch
		batches, err := a.source.Epoch(epoch, a.cursor.BatchInEpoch)
		if err != nil {
			return nil, fmt.Errorf("experiment %s epoch %d: %w", spec.Name, epoch, err)
		}
		open = batches
		for a.cursor.Epoch == epoch { // advance() rolls the cursor into the next epoch
			if err := ctx.Err(); err != nil {
				batches.Close()
				return nil, err
			}
			rows, err := batches.Next(&batch)
			if err != nil {
				batches.Close()
				return nil, fmt.Errorf("experiment %s step %d: data: %w", spec.Name, a.cursor.Step, err)
			}
			t0 := time.Now()
			loss, err := a.graph.Step(batch)
			if err != nil {
				return nil, fmt.Errorf("experiment %s step %d: %w", spec.Name, a.cursor.Step, err)
			}
			t1 := time.Now()
			res.ComputeTime += t1.Sub(t0)
			stop := a.stopAsked()
			if world > 1 {
				if err := a.comm.AllReduceSum(grads.pack(a.params, loss, stop)); err != nil {
					return nil, fmt.Errorf("experiment %s step %d: all-reduce gradients: %w", spec.Name, a.cursor.Step, err)
				}
				loss, stop = grads.unpack(a.params)
				res.CommTime += time.Since(t1)
			}
			lr := LearningRate(spec.Training.Schedule, spec.Training.Optimizer.LearningRate, a.opt.Steps(), a.total)
			a.opt.Step(a.params, lr)
			a.advance()
			if a.cursor.Step%hashEvery == 0 {
				if err := a.checkReplicas(); err != nil {
					return nil, fmt.Errorf("experiment %s: %w", spec.Name, err)
				}
			}
			samples += rows
			rate := float64(samples) / time.Since(start).Seconds()
			a.report(Progress{Epoch: a.cursor.Epoch, Epochs: spec.Training.Epochs, Step: a.cursor.Step, TotalSteps: a.total, Loss: loss, SamplesPerSec: rate})
			if a.dueForCheckpoint() {
				if err := a.checkpoint(ctx); err != nil {
					return nil, err
				}
			}
			// On the last step there is nothing left to stop: the run ends as finished.
			if stop && a.cursor.Step < a.total {
				batches.Close()
				if err := a.checkpoint(ctx); err != nil { // this step, on the cadence or not
					return nil, err
				}
				res.Stopped, res.StopRequested = true, true
				a.log.Info("stopped on request", "experiment", spec.Name, "step", a.cursor.Step, "rank", a.comm.Rank())
				return a.finish(res, rate, samples, time.Since(start))
			}
			if a.cfg.StopAfterStep > 0 && a.cursor.Step >= a.cfg.StopAfterStep {
				batches.Close()
				res.Stopped = a.cursor.Step < a.total
				return a.finish(res, rate, samples, time.Since(start))
			}
		}
		batches.Close()
		open = nil
		if err := a.validate(); err != nil {
			return nil, err
		}
	}
	if err := a.checkpoint(ctx); err != nil { // the final state is always committed
		return nil, err
	}
	return a.finish(res, float64(samples)/time.Since(start).Seconds(), samples, time.Since(start))
}

// advance moves the cursor past one step, rolling over to the next epoch.
func (a *attempt) advance() {
	a.cursor.Step++
	a.cursor.OptimizerSteps = a.opt.Steps()
	a.cursor.BatchInEpoch++
	if a.cursor.BatchInEpoch == a.perEpoch {
		a.cursor.BatchInEpoch = 0
		a.cursor.Epoch++
	}
}

func (a *attempt) dueForCheckpoint() bool {
	every := int64(a.spec.Checkpoint.EverySteps)
	return (every > 0 && a.cursor.Step%every == 0) || a.cursor.Step == a.cfg.StopAfterStep
}

func (a *attempt) validate() error {
	t0 := time.Now()
	s, err := a.scored.at(a.cursor.Step, a.net, a.params, a.cfg.Data.Validation)
	a.validating += time.Since(t0)
	if err != nil {
		return fmt.Errorf("experiment %s: validation after epoch %d: %w", a.spec.Name, a.cursor.Epoch, err)
	}
	a.report(Progress{Epoch: a.cursor.Epoch, Epochs: a.spec.Training.Epochs, Step: a.cursor.Step, TotalSteps: a.total, Validation: &s})
	return nil
}

// checkpoint copies the state and hands it to the writer; the step loop goes on while
// the writer uploads, unless the previous checkpoint is still in flight.
func (a *attempt) checkpoint(ctx context.Context) error {
	if a.saved == a.cursor.Step || a.cfg.NoCheckpoints {
		return nil
	}
	a.saved = a.cursor.Step
	step := a.cursor.Step
	st := &checkpoint.State{
		Experiment: a.spec.Name, Cursor: a.cursor,
		RNG: checkpoint.RNG{Algorithm: rngAlgorithm, Seed: a.spec.Training.Seed},
		// The validation metrics are computed by the writer from the snapshot, so the
		// step loop does not wait for a pass over the validation split.
		Evaluate: func(params []*models.Param) (map[string]float64, error) {
			val, err := a.scored.at(step, a.net, params, a.cfg.Data.Validation)
			if err != nil {
				return nil, fmt.Errorf("experiment %s: validation at step %d: %w", a.spec.Name, step, err)
			}
			return val.metricMap("val"), nil
		},
		WorldSize: a.comm.World(), Network: a.net, Preprocess: a.cfg.Data.Preprocess,
		Params: checkpoint.CloneTensors(a.params), Optimizer: checkpoint.CloneTensors(a.opt.State()),
		DatasetHash: a.cfg.Data.Hash, SpecHash: a.spec.Hash(), CodeVersion: a.cfg.CodeVersion,
	}
	t0 := time.Now()
	defer func() { a.checkpointing += time.Since(t0) }()
	if err := a.writer.Submit(ctx, st); err != nil {
		return fmt.Errorf("experiment %s: %w", a.spec.Name, err)
	}
	return nil
}

// stopAsked polls Config.StopRequested, once per step.
func (a *attempt) stopAsked() bool {
	return a.cfg.StopRequested != nil && a.cfg.StopRequested()
}

func (a *attempt) finish(res *Result, rate float64, samples int, elapsed time.Duration) (*Result, error) {
	t0 := time.Now()
	if err := a.writer.Flush(); err != nil {
		return nil, err
	}
	a.checkpointing += time.Since(t0)
	res.Steps, res.SamplesPerSec, res.Optimizer = a.cursor.Step, rate, a.opt.State()
	res.ValidationTime, res.CheckpointTime = a.validating, a.checkpointing
	if train := elapsed + time.Since(t0) - a.validating - a.checkpointing; train > 0 {
		res.TrainSamplesPerSec = float64(samples) / train.Seconds()
	}
	if res.StopRequested { // the checkpoint exists; the devices are wanted now
		return res, nil
	}
	var err error
	if res.Validation, err = a.scored.at(a.cursor.Step, a.net, a.params, a.cfg.Data.Validation); err != nil {
		return nil, fmt.Errorf("experiment %s: validation: %w", a.spec.Name, err)
	}
	if res.Test, res.TestProbs, err = Evaluate(a.net, a.params, a.cfg.Data.Test); err != nil {
		return nil, fmt.Errorf("experiment %s: test: %w", a.spec.Name, err)
	}
	return res, nil
}

func (a *attempt) report(p Progress) {
	if a.cfg.Progress != nil {
		a.cfg.Progress(p)
	}
}

// epochOrder is the shuffle of epoch e: a permutation drawn from PCG(seed, e), so any
// rank or any resumed run computes the same order without stored state.
func epochOrder(seed uint64, epoch, n int) []int {
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)+1))
	return rng.Perm(n)
}
