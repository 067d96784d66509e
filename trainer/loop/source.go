package loop

import (
	"fmt"

	"github.com/dxtrain/dxtrain/models"
)

// BatchSource yields this rank's share of every step's global batch. Both sources
// follow the same rule — rank r takes positions r, r+W, … of the global batch — so W
// ranks together see exactly what one rank with the same global batch sees.
type BatchSource interface {
	// StepsPerEpoch is ⌈records / global batch⌉.
	StepsPerEpoch() int
	// Epoch starts epoch e at step k (k > 0 when resuming mid-epoch).
	Epoch(e, k int) (EpochBatches, error)
}

// EpochBatches iterates one epoch's steps.
type EpochBatches interface {
	// Next fills b with this rank's rows of the next step, each weighted by one over
	// the step's global row count, and returns that count.
	Next(b *models.Batch) (globalRows int, err error)
	// Close stops the epoch; a second call does nothing.
	Close()
}

// memorySource is a split held in memory, shuffled per epoch by epochOrder.
type memorySource struct {
	split              Split
	width              int
	seed               uint64
	batch, rank, world int
}

func (s *memorySource) StepsPerEpoch() int { return (s.split.N + s.batch - 1) / s.batch }

func (s *memorySource) Epoch(e, k int) (EpochBatches, error) {
	if k < 0 || k > s.StepsPerEpoch() {
		return nil, fmt.Errorf("epoch %d has %d steps, cannot start at %d", e, s.StepsPerEpoch(), k)
	}
	return &memoryEpoch{src: s, order: epochOrder(s.seed, e, s.split.N), step: k}, nil
}

type memoryEpoch struct {
	src   *memorySource
	order []int
	step  int
}

func (m *memoryEpoch) Next(b *models.Batch) (int, error) {
	s := m.src
	lo := m.step * s.batch
	if lo >= s.split.N {
		return 0, fmt.Errorf("epoch over after %d steps", m.step)
	}
	rows := m.order[lo:min(lo+s.batch, s.split.N)]
	m.step++
	fillBatch(b, s.split, rankRows(rows, s.rank, s.world), len(rows), s.width)
	return len(rows), nil
}

func (m *memoryEpoch) Close() {}

// fillBatch copies this rank's rows into the fixed-size batch, each weighted by one
// over the global batch's row count so that the ranks' gradients sum to the mean;
// missing rows of a short batch are zero with weight zero, so one compiled graph
// serves every step.
func fillBatch(b *models.Batch, s Split, rows []int, globalRows, width int) {
	clear(b.X)
	clear(b.Labels)
	clear(b.Weights)
	w := 1 / float32(globalRows)
	for i, r := range rows {
		copy(b.X[i*width:(i+1)*width], s.X[r*width:(r+1)*width])
		b.Labels[i] = s.Y[r]
		b.Weights[i] = w
	}
}
