package external

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/release"
)

// ErrColumns means the trust's columns do not match the card's inputs.
var ErrColumns = errors.New("the data's columns do not match the model card's inputs")

// ErrMissingValues means inputs or labels with missing values: a model cannot be
// evaluated on rows it was never given whole.
var ErrMissingValues = errors.New("missing values")

// ErrLabels means labels that are not among the card's classes.
var ErrLabels = errors.New("labels outside the model card's classes")

// Data is the trust's local set, checked against the card: inputs in the card's order
// (raw, as the ONNX model takes them), labels as indices of the card's classes, and the
// subgroup attributes asked for.
type Data struct {
	X         []float32
	N         int
	Y         []int32
	Subgroups map[string][]string
	Images    bool // one image per row; X holds pixels in [0, 1]
}

// TabularInput says which columns of the trust's CSV are what.
type TabularInput struct {
	Label     string            // the column of the outcome, valued in the card's classes
	Subgroups []string          // columns to break the report down by
	Mapping   map[string]string // card input → local column, for renamed columns
}

// missing are the cell texts read as a missing value.
var missing = []string{"", "na", "n/a", "nan", "null", "none", "?"}

// ReadTabular reads the trust's CSV against the card: every card input must be a
// column (by its name or its mapping), and every column must be an input, the label or
// a subgroup — otherwise both sides are listed. Missing values are refused with each
// column's count; labels outside the card's classes with their count and first line.
// No error carries a cell's value.
func ReadTabular(r io.Reader, source string, card *release.Card, in TabularInput) (*Data, error) {
	if len(card.Features) == 0 {
		return nil, fmt.Errorf("%s: the model takes images (the card names no input columns): give an image file", source)
	}
	cr, err := datasets.NewCSVReader(r, source)
	if err != nil {
		return nil, err
	}
	cols, err := matchColumns(source, cr.Header(), card, in)
	if err != nil {
		return nil, err
	}
	classes := make(map[string]int32, len(card.Classes))
	for i, c := range card.Classes {
		classes[c] = int32(i)
	}
	d := &Data{Subgroups: map[string][]string{}}
	missingBy := map[string]int{}
	badLabels, firstBad := 0, 0
	for {
		line, rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for j, c := range cols.inputs {
			cell := rec[c]
			if isMissing(cell) {
				missingBy[card.Features[j]]++
				d.X = append(d.X, 0)
				continue
			}
			v, err := datasets.ParseFeature(cell)
			if err != nil {
				return nil, &datasets.CSVError{Source: source, Line: line, Column: cols.header[c], Err: err}
			}
			d.X = append(d.X, v)
		}
		label := strings.TrimSpace(rec[cols.label])
		y, ok := classes[label]
		switch {
		case isMissing(label):
			missingBy[in.Label+" (label)"]++
		case !ok:
			badLabels++
			if firstBad == 0 {
				firstBad = line
			}
		}
		d.Y = append(d.Y, y)
		for name, c := range cols.subgroups {
			d.Subgroups[name] = append(d.Subgroups[name], strings.TrimSpace(rec[c]))
		}
		d.N++
	}
	if len(missingBy) > 0 {
		parts := make([]string, 0, len(missingBy))
		for _, k := range slices.Sorted(maps.Keys(missingBy)) {
			parts = append(parts, fmt.Sprintf("%s: %d", k, missingBy[k]))
		}
		return nil, fmt.Errorf("%s: %w in %d columns (%s): impute or drop those rows first; the model was evaluated on complete rows",
			source, ErrMissingValues, len(missingBy), strings.Join(parts, ", "))
	}
	if badLabels > 0 {
		return nil, fmt.Errorf("%s: %w: %d rows of column %q (first at line %d) are not one of %v",
			source, ErrLabels, badLabels, in.Label, firstBad, card.Classes)
	}
	for name, values := range d.Subgroups {
		if k := distinct(values); k > metrics.MaxSubgroupValues {
			return nil, fmt.Errorf("%s: subgroup column %q has %d distinct values, at most %d (a category, not an identifier)",
				source, name, k, metrics.MaxSubgroupValues)
		}
	}
	return d, nil
}

// columns are the positions of the card's inputs (in card order), the label and the
// subgroups in the header.
type columns struct {
	header    []string
	inputs    []int
	label     int
	subgroups map[string]int
}

func matchColumns(source string, header []string, card *release.Card, in TabularInput) (columns, error) {
	c := columns{header: make([]string, len(header)), subgroups: map[string]int{}, label: -1}
	pos := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := pos[h]; dup {
			return columns{}, &datasets.CSVError{Source: source, Line: 1, Column: h, Err: datasets.ErrDuplicateColumn}
		}
		pos[h], c.header[i] = i, h
	}
	for k := range in.Mapping {
		if !slices.Contains(card.Features, k) {
			return columns{}, fmt.Errorf("%s: the mapping names %q, which is not one of the card's inputs", source, k)
		}
	}
	used := map[int]bool{}
	var absent []string
	for _, f := range card.Features {
		name := f
		if m, ok := in.Mapping[f]; ok {
			name = m
		}
		i, ok := pos[name]
		if !ok {
			absent = append(absent, name)
			continue
		}
		c.inputs, used[i] = append(c.inputs, i), true
	}
	if in.Label == "" {
		return columns{}, fmt.Errorf("%s: name the label column", source)
	}
	if i, ok := pos[in.Label]; !ok {
		return columns{}, &datasets.CSVError{Source: source, Line: 1, Column: in.Label, Err: fmt.Errorf("the label column: %w", datasets.ErrMissingColumn)}
	} else if used[i] {
		return columns{}, fmt.Errorf("%s: the label column %q is also one of the model's inputs", source, in.Label)
	} else {
		c.label, used[i] = i, true
	}
	for _, s := range in.Subgroups {
		i, ok := pos[s]
		if !ok {
			return columns{}, &datasets.CSVError{Source: source, Line: 1, Column: s, Err: fmt.Errorf("a subgroup column: %w", datasets.ErrMissingColumn)}
		}
		c.subgroups[s], used[i] = i, true
	}
	var extra []string
	for i, h := range c.header {
		if !used[i] {
			extra = append(extra, h)
		}
	}
	if len(absent) > 0 || len(extra) > 0 {
		return columns{}, fmt.Errorf("%s: %w: the card's inputs missing from the data: %s; the data's columns that are not an input, the label or a subgroup: %s "+
			"(the card's inputs are %s; map renamed columns with --map, drop the others)",
			source, ErrColumns, list(absent), list(extra), strings.Join(card.Features, ", "))
	}
	return c, nil
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func isMissing(cell string) bool {
	return slices.Contains(missing, strings.ToLower(strings.TrimSpace(cell)))
}

func distinct(v []string) int {
	seen := map[string]struct{}{}
	for _, s := range v {
		seen[s] = struct{}{}
	}
	return len(seen)
}
