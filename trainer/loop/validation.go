package loop

import (
	"sync"

	"github.com/dxtrain/dxtrain/models"
)

// validations computes the validation scores of a step once. The checkpoint writer
// scores its snapshot in the background, and the epoch's end and the run's end score
// the same parameters again when the checkpoint falls on that step: a pass over the
// validation split costs a sixth of a CNN epoch's steps, so the second one is taken
// from here. One entry is enough because steps only move forward.
type validations struct {
	mu     sync.Mutex
	step   int64
	scores Scores
	valid  bool
}

// at returns the scores of params at step, computing them unless that step is
// already scored. params must be the state at step (a snapshot or the live one).
func (v *validations) at(step int64, net models.Network, params []*models.Param, s Split) (Scores, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.valid && v.step == step {
		return v.scores, nil
	}
	scores, _, err := Evaluate(net, params, s)
	if err != nil {
		return Scores{}, err
	}
	v.step, v.scores, v.valid = step, scores, true
	return scores, nil
}
