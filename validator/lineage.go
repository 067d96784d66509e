package validator

import (
	"context"
	"fmt"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// Lineage is an experiment's checkpoint history as the manifests record it: each
// checkpoint names the committed checkpoint its training continued from (its parent),
// so after a restart — even one that fell back past a refused checkpoint, or changed
// the world size — every checkpoint is replayed from its real predecessor.
type Lineage struct {
	ledger []structs.Checkpoint          // oldest step first
	byHash map[string]structs.Checkpoint // manifest SHA-256 → ledger record
	parent map[string]string             // manifest SHA-256 → parent manifest SHA-256
	// legacy: no manifest names a parent (written before lineage was recorded), so
	// consecutive steps are taken as the links.
	legacy bool
}

// Link is one step of the history to replay: To was trained from From.
type Link struct{ From, To structs.Checkpoint }

// Lineage reads every committed checkpoint's manifest.
func (s *Session) Lineage(ctx context.Context) (*Lineage, error) {
	l := &Lineage{ledger: s.Checkpoints, byHash: map[string]structs.Checkpoint{}, parent: map[string]string{}, legacy: true}
	for _, c := range s.Checkpoints {
		m, err := checkpoint.LoadManifest(ctx, s.Store, c.ManifestHash)
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

// Links are the links to replay, in step order: every committed checkpoint whose
// parent is still committed.
func (l *Lineage) Links() []Link {
	var links []Link
	for i, c := range l.ledger {
		if l.legacy {
			if i > 0 {
				links = append(links, Link{l.ledger[i-1], c})
			}
			continue
		}
		if p, ok := l.byHash[l.parent[c.ManifestHash]]; ok {
			links = append(links, Link{p, c})
		}
	}
	return links
}

// Check refuses a replay from → to that no single run of training produced: to must
// descend from from, and every checkpoint between them must have been written with
// to's world size (the summation order of the all-reduce depends on it).
func (l *Lineage) Check(from, to structs.Checkpoint) error {
	if l.legacy {
		return nil
	}
	cur := to
	for cur.ManifestHash != from.ManifestHash && cur.Step > from.Step {
		p, ok := l.byHash[l.parent[cur.ManifestHash]]
		if !ok {
			return fmt.Errorf("checkpoint at step %d does not descend from the one at step %d: its lineage starts at step %d (give steps on one line of `checkpoints replay --all`)", to.Step, from.Step, cur.Step)
		}
		if cur.ManifestHash != to.ManifestHash && cur.WorldSize != to.WorldSize {
			return fmt.Errorf("the world size changed from %d to %d at step %d, between steps %d and %d: replay the links separately (--all)", cur.WorldSize, to.WorldSize, cur.Step, from.Step, to.Step)
		}
		cur = p
	}
	if cur.ManifestHash != from.ManifestHash {
		return fmt.Errorf("checkpoint at step %d does not descend from the one at step %d: its lineage passes through step %d", to.Step, from.Step, cur.Step)
	}
	return nil
}
