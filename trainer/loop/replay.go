package loop

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// ReplayReport is the validator's evidence that training is reproducible: checkpoint
// From, trained on to To's step, against checkpoint To itself.
type ReplayReport struct {
	Experiment string        `json:"experiment"`
	FromStep   int64         `json:"from_step"`
	ToStep     int64         `json:"to_step"`
	FromSHA    string        `json:"from_manifest_sha256"`
	ToSHA      string        `json:"to_manifest_sha256"`
	WorldSize  int           `json:"world_size"` // ranks the replay trained with
	Identical  bool          `json:"identical"`
	Tensors    int           `json:"tensors_compared"`
	Difference *Difference   `json:"first_difference,omitempty"`
	Duration   time.Duration `json:"duration_ns"`

	// A torch run's replay (the validator's) also says where it ran and, for a run
	// trained on GPUs and replayed on the CPU, how far it may and did differ.
	Runtime         string  `json:"runtime,omitempty"`    // "torch"; "" for the native engine
	Device          string  `json:"device,omitempty"`     // where the replay ran: "cpu"
	TrainedOn       string  `json:"trained_on,omitempty"` // the spec's device: "cpu" or "gpu"
	MaxAbsDiff      float64 `json:"max_abs_diff,omitempty"`
	Tolerance       float64 `json:"tolerance,omitempty"`
	WithinTolerance bool    `json:"within_tolerance,omitempty"`
}

// Reproduced reports whether the replay stands: bit-identical, or — for a run trained
// on GPUs and replayed on the CPU, where kernels differ — within the validator's tolerance.
func (r *ReplayReport) Reproduced() bool {
	return r.Identical || (r.TrainedOn == "gpu" && r.Device != "gpu" && r.WithinTolerance)
}

// Difference locates the first tensor (by name) whose bits differ.
type Difference struct {
	Tensor   string  `json:"tensor"`
	Index    int     `json:"index"`
	Replayed float32 `json:"replayed"`
	Recorded float32 `json:"recorded"`
	// Reason and MaxAbsDiff describe a torch replay's difference, found by the
	// tensor's path in the script's state (its values stay on the validator's machine).
	Reason     string  `json:"reason,omitempty"`
	MaxAbsDiff float64 `json:"max_abs_diff,omitempty"`
}

// Replay trains from checkpoint from to the step of checkpoint to with the recorded
// world size, seed, data order and optimizer state, writing nothing, and compares
// every parameter and optimizer tensor bit for bit with to's.
//
// The steps up to to were taken by the attempt that wrote to, so its recorded world
// size W is the replay's: W ranks run inside this process, joined by the collective
// ring on loopback, and sum the gradients in the order the attempt did, which one rank
// cannot reproduce. When from was written by an attempt of another size (an elastic
// restart), the replay is exact if to's attempt resumed from from: manifests record
// their parent, and `dxtrain checkpoints replay` checks that lineage before calling
// Replay. data may be any rank's view of the dataset; each rank gets its own.
func Replay(ctx context.Context, spec *experiments.Spec, data *Data, from, to *checkpoint.Loaded) (*ReplayReport, error) {
	return replay(ctx, spec, data, from, to, recordedWorld(to.Manifest))
}

// replay is Replay with the number of ranks given: tests show that any other world
// size than the recorded one does not reproduce a data-parallel run.
func replay(ctx context.Context, spec *experiments.Spec, data *Data, from, to *checkpoint.Loaded, world int) (*ReplayReport, error) {
	if err := checkReplayable(spec, from.Manifest, to.Manifest); err != nil {
		return nil, fmt.Errorf("replay %s: %w", spec.Name, err)
	}
	fm, tm := from.Manifest, to.Manifest
	start := time.Now()
	cfg := Config{Spec: spec, Data: data, From: from, NoCheckpoints: true, StopAfterStep: tm.Cursor.Step}
	var res *Result
	var err error
	if world == 1 {
		if cfg.Data, err = data.forRank(ctx, 0, 1); err == nil {
			res, err = Run(ctx, cfg)
		}
	} else {
		res, err = replayRanks(ctx, cfg, world)
	}
	if err != nil {
		return nil, fmt.Errorf("replay %s from step %d on %d ranks: %w", spec.Name, fm.Cursor.Step, world, err)
	}
	if res.Steps != tm.Cursor.Step {
		return nil, fmt.Errorf("replay %s: training ended at step %d, before the target step %d", spec.Name, res.Steps, tm.Cursor.Step)
	}
	r := &ReplayReport{Experiment: spec.Name, FromStep: fm.Cursor.Step, ToStep: tm.Cursor.Step,
		FromSHA: from.ManifestSHA, ToSHA: to.ManifestSHA, WorldSize: world, Duration: time.Since(start)}
	r.Tensors, r.Difference, err = compareTensors(append(res.Params, res.Optimizer...), to)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", spec.Name, err)
	}
	r.Identical = r.Difference == nil
	return r, nil
}

// replayRanks trains world local ranks and returns rank 0's result, once every
// replica is shown to hold rank 0's parameters bit for bit.
func replayRanks(ctx context.Context, cfg Config, world int) (*Result, error) {
	results, err := runLocalRanks(ctx, cfg, world)
	if err != nil {
		return nil, err
	}
	want := paramsHash(results[0].Params)
	for r, res := range results[1:] {
		if !bytes.Equal(paramsHash(res.Params), want) {
			return nil, fmt.Errorf("%w: rank %d ended with parameters other than rank 0's", ErrReplicasDiverged, r+1)
		}
	}
	return results[0], nil
}

// checkReplayable refuses a pair of checkpoints no replay can reproduce: out of
// order, or recording random state this code does not derive its choices from.
func checkReplayable(spec *experiments.Spec, fm, tm *checkpoint.Manifest) error {
	if tm.Cursor.Step <= fm.Cursor.Step {
		return fmt.Errorf("%w: target step %d is not after the starting step %d", ErrNotReplayable, tm.Cursor.Step, fm.Cursor.Step)
	}
	for _, m := range []*checkpoint.Manifest{fm, tm} {
		if m.RNG.Algorithm != rngAlgorithm || m.RNG.Seed != spec.Training.Seed {
			return fmt.Errorf("%w: checkpoint at step %d records random state %q seed %d, this code derives %q from seed %d",
				ErrNotReplayable, m.Cursor.Step, m.RNG.Algorithm, m.RNG.Seed, rngAlgorithm, spec.Training.Seed)
		}
	}
	return nil
}

// recordedWorld is the world size a manifest records; manifests from before the
// field existed were all written by one rank.
func recordedWorld(m *checkpoint.Manifest) int { return max(m.WorldSize, 1) }

func compareTensors(replayed []*models.Param, to *checkpoint.Loaded) (int, *Difference, error) {
	recorded := make(map[string][]float32, len(to.Params)+len(to.Optimizer))
	for name, v := range to.Params {
		recorded[name] = v
	}
	for name, v := range to.Optimizer {
		recorded[name] = v
	}
	if len(recorded) != len(replayed) {
		return 0, nil, fmt.Errorf("checkpoint %s holds %d tensors, the replay %d", to.ManifestSHA, len(recorded), len(replayed))
	}
	sorted := append([]*models.Param(nil), replayed...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, p := range sorted {
		want, ok := recorded[p.Name]
		if !ok || len(want) != len(p.Data) {
			return 0, nil, fmt.Errorf("checkpoint %s: tensor %s missing or of another size", to.ManifestSHA, p.Name)
		}
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(p.Data[i]) {
				return len(sorted), &Difference{Tensor: p.Name, Index: i, Replayed: p.Data[i], Recorded: want[i]}, nil
			}
		}
	}
	return len(sorted), nil, nil
}
