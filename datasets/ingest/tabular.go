package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/shards"
)

// prepared is a dataset in memory after the gate passed: the manifest's
// descriptive parts and each split's records.
type prepared struct {
	schema     shards.Schema
	columns    []shards.Column
	transforms []deid.Transform
	split      shards.Split
	stats      shards.FeatureStats
	subgroups  []shards.Subgroup
	parts      [3]*shards.Records
	records    int64
	gateNote   string
	patients   bool // the records carry pseudonymous patient ids (Records.Patients)
}

// table is the de-identified table with the line of each row.
type table struct {
	res    *deid.Result
	lines  []int
	source string
}

// prepareTabular converts the kept columns: features to float32, the label
// to class indices, subgroup attributes to codes; then splits.
func prepareTabular(spec *deid.IngestSpec, t table, seed uint64, fracs [3]float64) (*prepared, error) {
	p := &prepared{transforms: t.res.Transforms, records: int64(len(t.res.Rows))}
	var featCols, subCols []int
	label := -1
	for i, c := range t.res.Columns {
		col := shards.Column{Name: c.Name, Source: c.Source, Role: string(c.Role), Transformed: c.Transformed, QuasiIdentifier: c.QuasiIdentifier}
		switch c.Role {
		case deid.RoleFeature:
			featCols = append(featCols, i)
			col.Stored = shards.TensorFeatures
		case deid.RoleLabel:
			label = i
			col.Stored = shards.TensorLabels
		case deid.RoleSubgroup:
			subCols = append(subCols, i)
			col.Stored = shards.TensorSubgroupPrefix + c.Name
		}
		p.columns = append(p.columns, col)
	}
	if len(featCols) == 0 || label < 0 {
		return nil, fmt.Errorf("%w: the spec keeps %d feature columns and %d label columns; need at least one and exactly one", ErrConfig, len(featCols), min(label+1, 1))
	}
	f := len(featCols)
	n := len(t.res.Rows)
	x := make([]float32, n*f)
	y := make([]int32, n)
	classes := map[string]int32{}
	for i, c := range spec.Label.Classes {
		classes[c] = int32(i)
	}
	for r, row := range t.res.Rows {
		for j, c := range featCols {
			v, err := datasets.ParseFeature(row[c])
			if err != nil {
				return nil, inputError(t.source, t.lines[r], t.res.Header[c], err)
			}
			x[r*f+j] = v
		}
		cls, ok := classes[strings.TrimSpace(row[label])]
		if !ok {
			return nil, inputError(t.source, t.lines[r], t.res.Header[label],
				fmt.Errorf("%w: not one of the %d declared classes", datasets.ErrUnknownLabel, len(spec.Label.Classes)))
		}
		y[r] = cls
	}
	codes := make([][]int32, len(subCols))
	for g, c := range subCols {
		var sg shards.Subgroup
		sg, codes[g] = encodeSubgroup(t.res.Header[c], t.res.Rows, c)
		p.subgroups = append(p.subgroups, sg)
	}
	for _, c := range featCols {
		p.schema.Features = append(p.schema.Features, t.res.Header[c])
	}
	p.schema.Kind = shards.KindTabular
	p.schema.FeatureShape = []int{f}
	p.schema.LabelColumn = t.res.Header[label]
	p.schema.Classes = slices.Clone(spec.Label.Classes)

	sp, err := datasets.StratifiedSplit(y, len(spec.Label.Classes), fracs[0], fracs[1], fracs[2], seed)
	if err != nil {
		return nil, fmt.Errorf("%w: split: %w", ErrConfig, err)
	}
	p.split = shards.Split{Seed: seed, Fractions: fracs}
	for i, rows := range [3][]int{sp.Train, sp.Validation, sp.Test} {
		p.parts[i] = gather(x, y, codes, f, rows)
	}
	mean, std := datasets.FitStandardizer(x, f, sp.Train)
	p.stats = shards.FeatureStats{Axis: shards.AxisFeature, Mean: widen(mean), Std: widen(std)}
	return p, nil
}

// encodeSubgroup gives each distinct value of column c a code, in sorted
// order of the values.
func encodeSubgroup(name string, rows [][]string, c int) (shards.Subgroup, []int32) {
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row[c]] = true
	}
	values := make([]string, 0, len(seen))
	for v := range seen {
		values = append(values, v)
	}
	slices.Sort(values)
	index := make(map[string]int32, len(values))
	for i, v := range values {
		index[v] = int32(i)
	}
	out := make([]int32, len(rows))
	for r, row := range rows {
		out[r] = index[row[c]]
	}
	return shards.Subgroup{Name: name, Codes: values}, out
}

// gather copies the given rows into split-ordered records.
func gather(x []float32, y []int32, codes [][]int32, f int, rows []int) *shards.Records {
	r := &shards.Records{X: make([]float32, 0, len(rows)*f), Y: make([]int32, 0, len(rows)), Subgroups: make([][]int32, len(codes))}
	for _, i := range rows {
		r.X = append(r.X, x[i*f:(i+1)*f]...)
		r.Y = append(r.Y, y[i])
		for g := range codes {
			r.Subgroups[g] = append(r.Subgroups[g], codes[g][i])
		}
	}
	return r
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
