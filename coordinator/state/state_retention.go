package state

import (
	"cmp"
	"maps"
	"math"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// RetentionCandidates returns, sorted, the IDs of the checkpoints that retention no
// longer keeps: per experiment everything except the last checkpoint.keep_last
// non-suspect records, the best by checkpoint.keep_best, anything pinned, anything a
// model version names and anything a running attempt resumes from. An experiment
// whose spec has no keep_last (0) keeps everything.
func (s *Store) RetentionCandidates() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.deletable()))
}

// DeleteCheckpoints removes the requested records that are still deletable at this
// index, in request order, and skips the others (they became protected after the
// leader decided). It is deterministic: the deletable set depends only on the state.
func (s *Store) DeleteCheckpoints(index uint64, req *structs.CheckpointDeleteRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := s.deletable()
	for _, id := range req.CheckpointIDs {
		if _, del := ok[id]; del {
			delete(s.checkpoints, id)
		}
	}
	s.bump(index)
	return nil
}

// deletable computes the retention decision without locking.
func (s *Store) deletable() map[string]struct{} {
	protected := map[string]struct{}{}
	for _, a := range s.attempts {
		if a.Status == structs.AttemptRunning && a.ResumeFrom != "" {
			protected[a.ResumeFrom] = struct{}{}
		}
	}
	for _, vs := range s.models {
		for _, v := range vs {
			protected[v.CheckpointID] = struct{}{}
		}
	}
	byExp := map[string][]*structs.Checkpoint{}
	for _, c := range s.checkpoints {
		byExp[c.ExperimentID] = append(byExp[c.ExperimentID], c)
	}
	out := map[string]struct{}{}
	for expID, cps := range byExp {
		e, ok := s.experiments[expID]
		if !ok || e.Spec.Checkpoint.KeepLast <= 0 {
			continue
		}
		keep := keptByPolicy(cps, e.Spec.Checkpoint.KeepLast, e.Spec.Checkpoint.KeepBest)
		for _, c := range cps {
			_, kept := keep[c.ID]
			_, prot := protected[c.ID]
			if !kept && !prot && !c.Pinned {
				out[c.ID] = struct{}{}
			}
		}
	}
	return out
}

// keptByPolicy returns the IDs of the last keepLast non-suspect checkpoints (by step,
// then commit index) and of the best non-suspect one by metric (ties: the later).
func keptByPolicy(cps []*structs.Checkpoint, keepLast int, metric string) map[string]struct{} {
	var good []*structs.Checkpoint
	for _, c := range cps {
		if !c.Suspect {
			good = append(good, c)
		}
	}
	slices.SortFunc(good, func(a, b *structs.Checkpoint) int {
		if a.Step != b.Step {
			return cmp.Compare(a.Step, b.Step)
		}
		return cmp.Compare(a.CreateIndex, b.CreateIndex)
	})
	keep := map[string]struct{}{}
	for _, c := range good[max(0, len(good)-keepLast):] {
		keep[c.ID] = struct{}{}
	}
	if metric == "" {
		return keep
	}
	lower := structs.MetricLowerIsBetter(metric)
	var best *structs.Checkpoint
	for _, c := range good { // ascending, so ">=" / "<=" keep the later of equals
		v, ok := c.Metrics[metric]
		if !ok || math.IsNaN(v) {
			continue
		}
		if best == nil || (lower && v <= best.Metrics[metric]) || (!lower && v >= best.Metrics[metric]) {
			best = c
		}
	}
	if best != nil {
		keep[best.ID] = struct{}{}
	}
	return keep
}
