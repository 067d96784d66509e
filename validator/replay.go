package validator

import (
	"context"

	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Replay replays each link in turn — loads its checkpoints (verifying every blob),
// trains from From to To's step with the recorded world size and compares every
// tensor — and hands each report to done as it is made. The dataset is read once.
func (s *Session) Replay(ctx context.Context, links []Link, done func(*loop.ReplayReport)) ([]*loop.ReplayReport, error) {
	data, err := loop.LoadData(ctx, s.Spec, s.Store, s.Datasets, 0, 1)
	if err != nil {
		return nil, err
	}
	var reports []*loop.ReplayReport
	for _, link := range links {
		from, err := s.load(ctx, link.From)
		if err != nil {
			return reports, err
		}
		to, err := s.load(ctx, link.To)
		if err != nil {
			return reports, err
		}
		rep, err := loop.Replay(ctx, s.Spec, data, from, to)
		if err != nil {
			return reports, err
		}
		reports = append(reports, rep)
		if done != nil {
			done(rep)
		}
	}
	return reports, nil
}
