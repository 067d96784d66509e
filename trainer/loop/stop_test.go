package loop

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/dxtrain/dxtrain/models"
)

// stopAtCall is a StopRequested that answers true from its n-th call on: a run that
// starts at step 0 is asked to stop during step n.
func stopAtCall(n int64) func() bool {
	var calls atomic.Int64
	return func() bool { return calls.Add(1) >= n }
}

// TestStopRequestCheckpointsAndResumesBitIdentical asks a run to stop mid-epoch, off
// the checkpoint cadence. With two ranks only rank 1 is asked: both must stop after
// the same step, rank 0 must have committed that step, and a resume from it must end
// with parameters bit-identical to a run that was never interrupted.
func TestStopRequestCheckpointsAndResumesBitIdentical(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-mlp.yaml")
	spec.Training.Epochs = 4 // 52 steps
	spec.Checkpoint.EverySteps = 5
	const stopAt = 23 // mid-epoch, not a multiple of 5
	same := func(int) (*Data, error) { return data, nil }
	for _, world := range []int{1, 2} {
		t.Run(fmt.Sprintf("world=%d", world), func(t *testing.T) {
			whole, _ := runRanksInto(t, spec, world, newStore(t), same, nil)

			store := newStore(t)
			stopped, _ := runRanksInto(t, spec, world, store, same, func(c *Config) {
				if c.Comm.Rank() == world-1 { // the last rank alone hears of it
					c.StopRequested = stopAtCall(stopAt)
				}
			})
			for r, res := range stopped {
				if !res.Stopped || !res.StopRequested || res.Steps != stopAt {
					t.Fatalf("rank %d: stopped=%v on request=%v at step %d, want a stop on request at step %d",
						r, res.Stopped, res.StopRequested, res.Steps, stopAt)
				}
			}
			cps := stopped[0].Checkpoints
			if len(cps) == 0 || cps[len(cps)-1].Step != stopAt || stopped[0].FinalCheckpoint != cps[len(cps)-1].ManifestSHA {
				var steps []int64
				for _, cp := range cps {
					steps = append(steps, cp.Step)
				}
				t.Fatalf("rank 0 committed steps %v (final %q), want the last at step %d", steps, stopped[0].FinalCheckpoint, stopAt)
			}

			resumed, _ := runRanksInto(t, spec, world, store, same, func(c *Config) { c.Resume = true })
			for r := range world {
				if resumed[r].Steps != whole[r].Steps || resumed[r].Stopped {
					t.Fatalf("rank %d: resumed run ended at step %d (stopped=%v), uninterrupted at %d", r, resumed[r].Steps, resumed[r].Stopped, whole[r].Steps)
				}
				requireIdentical(t, fmt.Sprintf("rank %d: resumed vs uninterrupted", r), resumed[r], whole[r])
			}
		})
	}
}

// TestStopRequestOnTheLastStepFinishes: a request that arrives during the last step
// has nothing left to stop; the run ends finished, evaluated and checkpointed.
func TestStopRequestOnTheLastStepFinishes(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-logreg.yaml")
	spec.Training.Epochs = 2
	probe := run(t, Config{Spec: spec, Data: data, Store: newStore(t), NoCheckpoints: true})
	res := run(t, Config{Spec: spec, Data: data, Store: newStore(t), StopRequested: stopAtCall(probe.Steps)})
	if res.Stopped || res.StopRequested || res.Steps != probe.Steps || res.Test.AUROC == 0 {
		t.Fatalf("stopped=%v on request=%v at step %d of %d, test AUROC %v: want a finished, evaluated run",
			res.Stopped, res.StopRequested, res.Steps, probe.Steps, res.Test.AUROC)
	}
	if n := len(res.Checkpoints); n == 0 || res.Checkpoints[n-1].Step != res.Steps {
		t.Fatalf("the final state was not checkpointed: %+v", res.Checkpoints)
	}
}

// TestStopRequestIsAskedOncePerStep: the engine polls once per step, not per batch
// row or per collective, so the caller's check may cost a lock.
func TestStopRequestIsAskedOncePerStep(t *testing.T) {
	spec, data := loadSpec(t, "wdbc-logreg.yaml")
	spec.Training.Epochs = 1
	var calls atomic.Int64
	res := run(t, Config{Spec: spec, Data: data, Store: newStore(t), NoCheckpoints: true,
		StopRequested: func() bool { calls.Add(1); return false }})
	if calls.Load() != res.Steps {
		t.Fatalf("StopRequested asked %d times in %d steps", calls.Load(), res.Steps)
	}
}

// TestGradientBufferFlagLeavesGradientsAndLoss: the stop flag rides in its own element;
// the gradients and the loss pack to the same bits whether it is set or not, and the
// sum of the ranks' flags says whether any rank asked.
func TestGradientBufferFlagLeavesGradientsAndLoss(t *testing.T) {
	params := []*models.Param{{Name: "w", Grad: []float32{1.5, -2.25, float32(math.Pi)}}, {Name: "b", Grad: []float32{1e-30}}}
	var a, b gradientBuffer
	quiet := slices.Clone(a.pack(params, 0.75, false))
	asked := b.pack(params, 0.75, true)
	if len(quiet) != 6 || !slices.Equal(quiet[:5], asked[:5]) || quiet[5] != 0 || asked[5] != 1 {
		t.Fatalf("packed %v without the flag and %v with it", quiet, asked)
	}
	for i := range asked { // a two-rank sum: one rank asked, the other did not
		asked[i] += quiet[i]
	}
	loss, stop := b.unpack(params)
	if loss != 1.5 || !stop || params[0].Grad[1] != -4.5 || params[1].Grad[0] != 2e-30 {
		t.Fatalf("unpacked loss %v, stop %v, grads %v %v", loss, stop, params[0].Grad, params[1].Grad)
	}
	quiet[5] = 0 // no rank asked
	copy(a.flat, quiet)
	if _, stop := a.unpack(params); stop {
		t.Fatal("a sum of zero flags reads as a stop")
	}
}
