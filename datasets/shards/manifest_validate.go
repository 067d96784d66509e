package shards

import (
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/storage"
)

// Limits that keep a hostile manifest from describing absurd sizes.
const (
	maxClasses      = 1 << 16
	maxFeatureDims  = 4
	maxFeatureLen   = 1 << 26
	maxShardsInPart = 1 << 20
)

// Validate checks the manifest's internal consistency: each part's shards
// add up to its record and label counts with contiguous row ids, hashes are
// digests, statistics match the schema.
func (m *Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrManifest, fmt.Sprintf(format, args...))
	}
	if m.Version != ManifestVersion {
		return bad("version %d, want %d", m.Version, ManifestVersion)
	}
	if m.Name == "" {
		return bad("no name")
	}
	if m.Gate == nil || !m.Gate.Passed {
		return bad("the gate report is missing or did not pass")
	}
	if m.Source.SHA256 != "" {
		if err := storage.ValidateDigest(m.Source.SHA256); err != nil {
			return bad("source: %v", err)
		}
	}
	s := m.Schema
	if s.Kind != KindTabular && s.Kind != KindImage {
		return bad("schema kind %q, want tabular or image", s.Kind)
	}
	if len(s.Classes) < 2 || len(s.Classes) > maxClasses {
		return bad("%d classes, want 2..%d", len(s.Classes), maxClasses)
	}
	if len(s.FeatureShape) < 1 || len(s.FeatureShape) > maxFeatureDims {
		return bad("feature shape %v", s.FeatureShape)
	}
	n := 1
	for _, d := range s.FeatureShape {
		if d < 1 || d > maxFeatureLen || n > maxFeatureLen/d {
			return bad("feature shape %v out of range", s.FeatureShape)
		}
		n *= d
	}
	if s.Kind == KindTabular && (len(s.FeatureShape) != 1 || len(s.Features) != n) {
		return bad("tabular schema: %d feature names for feature shape %v", len(s.Features), s.FeatureShape)
	}
	if s.Kind == KindImage && len(s.FeatureShape) != 3 {
		return bad("image schema: feature shape %v, want [C, H, W]", s.FeatureShape)
	}
	if err := m.validateStats(); err != nil {
		return err
	}
	for _, g := range m.Subgroups {
		if g.Name == "" || strings.ContainsAny(g.Name, "\"\\") || len(g.Codes) == 0 {
			return bad("subgroup %q: empty name, bad character or no codes", g.Name)
		}
	}
	for _, name := range PartNames {
		p, _ := m.Split.Part(name)
		if err := p.validate(len(s.Classes)); err != nil {
			return fmt.Errorf("split %s: %w", name, err)
		}
	}
	if m.Split.Train.Records == 0 {
		return bad("the training split is empty")
	}
	return nil
}

func (m *Manifest) validateStats() error {
	want := m.Schema.FeatureLen()
	switch m.Stats.Axis {
	case AxisFeature:
	case AxisChannel:
		if m.Schema.Kind != KindImage {
			return fmt.Errorf("%w: channel statistics for %s data", ErrManifest, m.Schema.Kind)
		}
		want = m.Schema.FeatureShape[0]
	default:
		return fmt.Errorf("%w: statistics axis %q, want feature or channel", ErrManifest, m.Stats.Axis)
	}
	if len(m.Stats.Mean) != want || len(m.Stats.Std) != want {
		return fmt.Errorf("%w: %d means and %d stds, want %d", ErrManifest, len(m.Stats.Mean), len(m.Stats.Std), want)
	}
	if !finite(m.Stats.Mean) || !finite(m.Stats.Std) {
		return fmt.Errorf("%w: non-finite feature statistics", ErrManifest)
	}
	return nil
}

func (p *Part) validate(classes int) error {
	if len(p.LabelCounts) != classes {
		return fmt.Errorf("%w: %d label counts for %d classes", ErrManifest, len(p.LabelCounts), classes)
	}
	if len(p.Shards) > maxShardsInPart {
		return fmt.Errorf("%w: %d shards", ErrManifest, len(p.Shards))
	}
	var sum int64
	for _, c := range p.LabelCounts {
		if c < 0 {
			return fmt.Errorf("%w: negative label count", ErrManifest)
		}
		sum += c
	}
	if sum != p.Records || p.Records < 0 {
		return fmt.Errorf("%w: label counts sum to %d, records %d", ErrManifest, sum, p.Records)
	}
	total := make([]int64, classes)
	var row int64
	for i, sh := range p.Shards {
		if err := storage.ValidateDigest(sh.SHA256); err != nil {
			return fmt.Errorf("%w: shard %d: %w", ErrManifest, i, err)
		}
		if sh.Records < 1 || sh.Size < 8 || sh.FirstRow != row || len(sh.LabelCounts) != classes {
			return fmt.Errorf("%w: shard %d (%s): records %d, size %d, first row %d (want %d), %d label counts",
				ErrManifest, i, sh.SHA256, sh.Records, sh.Size, sh.FirstRow, row, len(sh.LabelCounts))
		}
		var s int64
		for c, k := range sh.LabelCounts {
			if k < 0 {
				return fmt.Errorf("%w: shard %d: negative label count", ErrManifest, i)
			}
			s += k
			total[c] += k
		}
		if s != sh.Records {
			return fmt.Errorf("%w: shard %d: label counts sum to %d, records %d", ErrManifest, i, s, sh.Records)
		}
		row += sh.Records
	}
	if row != p.Records {
		return fmt.Errorf("%w: shards hold %d records, the part %d", ErrManifest, row, p.Records)
	}
	for c := range total {
		if total[c] != p.LabelCounts[c] {
			return fmt.Errorf("%w: shards hold %d records of class %d, the part %d", ErrManifest, total[c], c, p.LabelCounts[c])
		}
	}
	return nil
}
