package shards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/storage"
)

// ManifestVersion is the manifest format written by this package.
const ManifestVersion = 1

// Schema kinds.
const (
	KindTabular = "tabular"
	KindImage   = "image"
)

// Split part names, in order.
const (
	PartTrain      = "train"
	PartValidation = "validation"
	PartTest       = "test"
)

// PartNames lists the parts in manifest order.
var PartNames = [3]string{PartTrain, PartValidation, PartTest}

// Manifest describes one ingested dataset. See the package doc for its
// canonical encoding and hash.
type Manifest struct {
	Version     int              `json:"version"`
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Created     time.Time        `json:"created"`
	Source      Source           `json:"source"`
	Schema      Schema           `json:"schema"`
	Columns     []Column         `json:"columns"`
	Transforms  []deid.Transform `json:"transforms"`
	Gate        *gate.Report     `json:"gate"`
	// GateNote says what the gate could not see (image inputs carry no
	// text cells, only pixels and class labels).
	GateNote  string       `json:"gate_note,omitempty"`
	Split     Split        `json:"split"`
	Stats     FeatureStats `json:"feature_stats"`
	Subgroups []Subgroup   `json:"subgroups,omitempty"`
}

// Source identifies the raw input the dataset was made from.
type Source struct {
	SHA256  string `json:"sha256"` // of the raw input file (for a directory of IDX files, of their concatenation in name order)
	Format  string `json:"format"` // csv, idx, npz or dicom (whose SHA256 is of the files' SHA-256s in read order)
	Bytes   int64  `json:"bytes"`
	Records int64  `json:"records"`
}

// Schema says what a record is.
type Schema struct {
	Kind string `json:"kind"` // tabular or image
	// FeatureShape is the shape of one record's features: [F] for tabular
	// data, [C, H, W] for images.
	FeatureShape []int    `json:"feature_shape"`
	Features     []string `json:"features,omitempty"` // tabular: the F feature names, in order
	LabelColumn  string   `json:"label_column,omitempty"`
	Classes      []string `json:"classes"`
}

// FeatureLen is the number of float32 values per record.
func (s Schema) FeatureLen() int {
	n := 1
	for _, d := range s.FeatureShape {
		n *= d
	}
	return n
}

// Column is one column of the de-identified table and where it went.
type Column struct {
	Name            string `json:"name"`
	Source          string `json:"source"`
	Role            string `json:"role"`
	Transformed     bool   `json:"transformed,omitempty"`
	QuasiIdentifier bool   `json:"quasi_identifier,omitempty"`
	// Stored is the shard tensor holding the column ("features", "labels",
	// "subgroup.<name>", "patient_ids") or "" when it is not stored in the shards.
	Stored string `json:"stored,omitempty"`
}

// Split is the train/validation/test division and its shards.
type Split struct {
	Seed uint64 `json:"seed"`
	// Fractions are train, validation and test; zero when Predefined.
	Fractions [3]float64 `json:"fractions"`
	// Predefined means the input came split (MedMNIST, MNIST's t10k).
	Predefined bool `json:"predefined,omitempty"`
	Train      Part `json:"train"`
	Validation Part `json:"validation"`
	Test       Part `json:"test"`
}

// Part returns the named part (see PartNames).
func (s *Split) Part(name string) (*Part, error) {
	switch name {
	case PartTrain:
		return &s.Train, nil
	case PartValidation:
		return &s.Validation, nil
	case PartTest:
		return &s.Test, nil
	}
	return nil, fmt.Errorf("%w: unknown split %q (want train, validation or test)", ErrConfig, name)
}

// Part is one split's records.
type Part struct {
	Records     int64      `json:"records"`
	LabelCounts []int64    `json:"label_counts"` // per class
	Shards      []ShardRef `json:"shards"`
}

// ShardRef names one shard of a part.
type ShardRef struct {
	SHA256      string  `json:"sha256"`
	Size        int64   `json:"size"`
	Records     int64   `json:"records"`
	FirstRow    int64   `json:"first_row"` // row_ids of the shard are FirstRow … FirstRow+Records-1
	LabelCounts []int64 `json:"label_counts"`
}

// Statistics axes.
const (
	AxisFeature = "feature" // one mean and std per feature (tabular)
	AxisChannel = "channel" // one mean and std per image channel
)

// FeatureStats are the training split's feature mean and population
// standard deviation, for standardisation. A constant feature has std 1.
type FeatureStats struct {
	Axis string    `json:"axis"`
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// Subgroup is an attribute kept for evaluation by subgroup: the shards hold
// "subgroup.<Name>" int32 codes indexing Codes.
type Subgroup struct {
	Name  string   `json:"name"`
	Codes []string `json:"codes"`
}

// Canonical returns the manifest's canonical bytes, after validating it.
func (m *Manifest) Canonical() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrManifest, err)
	}
	return b, nil
}

// SHA256 returns the manifest's hash: SHA-256 of its canonical bytes.
func (m *Manifest) SHA256() (string, error) {
	b, err := m.Canonical()
	if err != nil {
		return "", err
	}
	return storage.Digest(b), nil
}

// maxManifestBytes bounds a manifest read from storage.
const maxManifestBytes = 64 << 20

// ParseManifest decodes canonical manifest bytes strictly: no unknown
// fields, one JSON value, a valid manifest, and bytes equal to its
// canonical encoding (so its hash is well defined).
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrManifest, len(data), maxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the manifest object", ErrManifest)
	}
	canon, err := m.Canonical()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, data) {
		return nil, fmt.Errorf("%w: not in canonical encoding", ErrManifest)
	}
	return &m, nil
}

// PutManifest uploads the manifest's canonical bytes as a blob and returns
// its hash.
func PutManifest(ctx context.Context, s storage.Store, m *Manifest) (string, error) {
	b, err := m.Canonical()
	if err != nil {
		return "", err
	}
	sha, err := storage.PutBlob(ctx, s, b)
	if err != nil {
		return "", fmt.Errorf("upload manifest: %w", err)
	}
	return sha, nil
}

// LoadManifest fetches the manifest blob named sha, checks its hash and
// parses it.
func LoadManifest(ctx context.Context, s storage.Store, sha string) (*Manifest, error) {
	b, err := storage.GetBlob(ctx, s, sha)
	if err != nil {
		return nil, fmt.Errorf("load manifest: %w", err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", sha, err)
	}
	return m, nil
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
