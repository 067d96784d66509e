package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// lineage is an experiment's checkpoint history as the manifests record it: each
// checkpoint names the committed checkpoint its training continued from (its parent),
// so after a restart — even one that fell back past a refused checkpoint, or changed
// the world size — every checkpoint is replayed from its real predecessor.
type lineage struct {
	byStep map[int64]structs.Checkpoint  // step → ledger record
	byHash map[string]structs.Checkpoint // manifest SHA-256 → ledger record
	parent map[string]string             // manifest SHA-256 → parent manifest SHA-256
	// legacy: no manifest names a parent (written before lineage was recorded), so
	// consecutive steps are taken as the links.
	legacy bool
}

// lineage reads every committed checkpoint's manifest.
func (v *validatorSession) lineage(ctx context.Context) (*lineage, error) {
	l := &lineage{byStep: v.byStep, byHash: map[string]structs.Checkpoint{}, parent: map[string]string{}, legacy: true}
	for _, c := range v.byStep {
		m, err := checkpoint.LoadManifest(ctx, v.store, c.ManifestHash)
		if err != nil {
			return nil, fmt.Errorf("checkpoint at step %d: %w", c.Step, err)
		}
		l.byHash[c.ManifestHash] = c
		l.parent[c.ManifestHash] = m.Parent
		if m.Parent != "" {
			l.legacy = false
		}
	}
	return l, nil
}

// links are the (parent step, step) pairs to replay, in step order: every committed
// checkpoint whose parent is still committed.
func (l *lineage) links() [][2]int64 {
	steps := l.steps()
	var pairs [][2]int64
	for i, s := range steps {
		if l.legacy {
			if i > 0 {
				pairs = append(pairs, [2]int64{steps[i-1], s})
			}
			continue
		}
		c := l.at(s)
		if p, ok := l.byHash[l.parent[c.ManifestHash]]; ok {
			pairs = append(pairs, [2]int64{p.Step, s})
		}
	}
	return pairs
}

// check refuses a replay from → to that no single run of training produced: to must
// descend from from, and every checkpoint between them must have been written with
// to's world size (the summation order of the all-reduce depends on it).
func (l *lineage) check(from, to int64) error {
	if l.legacy {
		return nil
	}
	target := l.at(to)
	cur := target
	for cur.Step > from {
		p, ok := l.byHash[l.parent[cur.ManifestHash]]
		if !ok {
			return fmt.Errorf("checkpoint at step %d does not descend from the one at step %d: its lineage starts at step %d (give steps on one line of `checkpoints replay --all`)", to, from, cur.Step)
		}
		if cur.Step != to && cur.WorldSize != target.WorldSize {
			return fmt.Errorf("the world size changed from %d to %d at step %d, between steps %d and %d: replay the links separately (--all)", cur.WorldSize, target.WorldSize, cur.Step, from, to)
		}
		cur = p
	}
	if cur.Step != from {
		return fmt.Errorf("checkpoint at step %d does not descend from the one at step %d: its lineage passes through step %d", to, from, cur.Step)
	}
	return nil
}

func (l *lineage) steps() []int64 {
	return slices.Sorted(maps.Keys(l.byStep))
}

func (l *lineage) at(step int64) structs.Checkpoint { return l.byStep[step] }
