package state

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

func reportKey(model string, version int) string { return fmt.Sprintf("%s@%d", model, version) }

// SubmitReport keeps a trust's site report beside its version. The endpoint checked
// the signature and the hashes; here the version must exist and not be revoked, and the
// same report (by SHA-256) is kept once.
func (s *Store) SubmitReport(index uint64, req *structs.ModelReportSubmitRequest) error {
	r := req.Report
	if r.SHA256 == "" || r.Report == "" || r.Signature == "" {
		return structs.Invalid("report", "is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.modelVersion(r.Model, r.Version)
	if err != nil {
		return err
	}
	if m.Revoked {
		return fmt.Errorf("model %s version %d is revoked: %w", r.Model, r.Version, structs.ErrGone)
	}
	key := reportKey(r.Model, r.Version)
	for _, old := range s.reports[key] {
		if old.SHA256 == r.SHA256 {
			return fmt.Errorf("site report %.12s of %s is already kept: %w", r.SHA256, key, structs.ErrConflict)
		}
	}
	r.SubmittedAt, r.CreateIndex = req.Timestamp, index
	s.reports[key] = append(s.reports[key], &r)
	s.bump(index)
	return nil
}

// Reports lists the site reports of a version, in submission order.
func (s *Store) Reports(model string, version int) []structs.SiteReport {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []structs.SiteReport{}
	for _, r := range s.reports[reportKey(model, version)] {
		out = append(out, *r)
	}
	return out
}

// AllReports lists every site report, for snapshots.
func (s *Store) AllReports() []structs.SiteReport {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []structs.SiteReport
	for _, k := range slices.Sorted(maps.Keys(s.reports)) {
		for _, r := range s.reports[k] {
			out = append(out, *r)
		}
	}
	return out
}

// RestoreReport inserts a report from a snapshot, keeping submission order.
func (s *Store) RestoreReport(r structs.SiteReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := reportKey(r.Model, r.Version)
	rs := append(s.reports[key], &r)
	slices.SortFunc(rs, func(a, b *structs.SiteReport) int { return cmp.Compare(a.CreateIndex, b.CreateIndex) })
	s.reports[key] = rs
}
