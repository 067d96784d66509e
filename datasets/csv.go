package datasets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// TabularOptions says which CSV columns are the label and the features.
type TabularOptions struct {
	// Label is the label column (required).
	Label string
	// Classes are the label values in order; Y holds indices into it. Empty means
	// the distinct label values found, sorted.
	Classes []string
	// Features are the feature columns, in the order they appear in X. Empty means
	// every column except Label and Exclude, in header order.
	Features []string
	// Exclude lists columns that are neither features nor the label (an id column,
	// say). Each must exist in the header.
	Exclude []string
}

// Tabular is a labelled numeric table.
type Tabular struct {
	Features []string  // feature column names, the columns of X
	Classes  []string  // class names; Y indexes into it
	X        []float32 // row-major, Rows × len(Features)
	Y        []int32   // class index of each row
	Rows     int
}

// LoadTabularCSV reads the CSV file at path; see ReadTabularCSV.
func LoadTabularCSV(path string, opts TabularOptions) (*Tabular, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open tabular csv: %w", err)
	}
	defer f.Close()
	return ReadTabularCSV(f, path, opts)
}

// ReadTabularCSV reads a CSV with a header row into a Tabular. source names the
// input in errors. Every feature cell must be a finite number (surrounding spaces
// are ignored); every label cell must be one of opts.Classes. Errors are
// *CSVError values naming source, line and column but never the cell value.
func ReadTabularCSV(r io.Reader, source string, opts TabularOptions) (*Tabular, error) {
	cr, err := NewCSVReader(r, source)
	if err != nil {
		return nil, err
	}
	header := slices.Clone(cr.Header())
	cols, err := resolveColumns(source, header, opts)
	if err != nil {
		return nil, err
	}
	labels, err := newLabeler(source, opts.Classes)
	if err != nil {
		return nil, err
	}

	t := &Tabular{Features: cols.names}
	for {
		line, rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, c := range cols.features {
			v, err := ParseFeature(rec[c])
			if err != nil {
				return nil, &CSVError{Source: source, Line: line, Column: header[c], Err: err}
			}
			t.X = append(t.X, v)
		}
		y, err := labels.index(strings.TrimSpace(rec[cols.label]))
		if err != nil {
			return nil, &CSVError{Source: source, Line: line, Column: header[cols.label], Err: err}
		}
		t.Y = append(t.Y, y)
		t.Rows++
	}
	t.Classes = labels.finish(t.Y)
	return t, nil
}

// columns are the header positions of the label and the features.
type columns struct {
	label    int
	features []int
	names    []string
}

func resolveColumns(source string, header []string, opts TabularOptions) (columns, error) {
	headerErr := func(col string, err error) error {
		return &CSVError{Source: source, Line: 1, Column: col, Err: err}
	}
	pos := make(map[string]int, len(header))
	for i, name := range header {
		name = strings.TrimSpace(name)
		header[i] = name
		if name == "" {
			return columns{}, headerErr("", fmt.Errorf("%w: column %d has an empty name", ErrMalformed, i+1))
		}
		if _, dup := pos[name]; dup {
			return columns{}, headerErr(name, ErrDuplicateColumn)
		}
		pos[name] = i
	}
	if opts.Label == "" {
		return columns{}, &CSVError{Source: source, Err: fmt.Errorf("%w: no label column given", ErrOptions)}
	}
	label, ok := pos[opts.Label]
	if !ok {
		return columns{}, headerErr(opts.Label, fmt.Errorf("%w: the label", ErrMissingColumn))
	}
	excluded := map[int]bool{}
	for _, name := range opts.Exclude {
		i, ok := pos[name]
		switch {
		case !ok:
			return columns{}, headerErr(name, fmt.Errorf("%w: listed in exclude", ErrMissingColumn))
		case i == label:
			return columns{}, headerErr(name, fmt.Errorf("%w: the label is also excluded", ErrOptions))
		case excluded[i]:
			return columns{}, headerErr(name, fmt.Errorf("%w: listed twice in exclude", ErrDuplicateColumn))
		}
		excluded[i] = true
	}
	c := columns{label: label}
	if len(opts.Features) == 0 {
		for i, name := range header {
			if i != label && !excluded[i] {
				c.features = append(c.features, i)
				c.names = append(c.names, name)
			}
		}
		if len(c.features) == 0 {
			return columns{}, &CSVError{Source: source, Line: 1, Err: fmt.Errorf("%w: no feature columns remain", ErrOptions)}
		}
		return c, nil
	}
	used := map[int]bool{}
	for _, name := range opts.Features {
		i, ok := pos[name]
		switch {
		case !ok:
			return columns{}, headerErr(name, fmt.Errorf("%w: listed in features", ErrMissingColumn))
		case i == label:
			return columns{}, headerErr(name, fmt.Errorf("%w: the label cannot be a feature", ErrOptions))
		case excluded[i]:
			return columns{}, headerErr(name, fmt.Errorf("%w: both a feature and excluded", ErrOptions))
		case used[i]:
			return columns{}, headerErr(name, fmt.Errorf("%w: listed twice in features", ErrDuplicateColumn))
		}
		used[i] = true
		c.features = append(c.features, i)
		c.names = append(c.names, name)
	}
	return c, nil
}

// labeler maps label cells to class indices, either against declared classes or
// discovering them (then renumbered in sorted order by finish).
type labeler struct {
	classes  []string
	ids      map[string]int32
	discover bool
}

func newLabeler(source string, classes []string) (*labeler, error) {
	l := &labeler{ids: map[string]int32{}, discover: len(classes) == 0}
	for _, c := range classes {
		if c == "" {
			return nil, &CSVError{Source: source, Err: fmt.Errorf("%w: empty class name", ErrOptions)}
		}
		if _, dup := l.ids[c]; dup {
			return nil, &CSVError{Source: source, Err: fmt.Errorf("%w: class %q listed twice", ErrOptions, c)}
		}
		l.ids[c] = int32(len(l.classes))
		l.classes = append(l.classes, c)
	}
	return l, nil
}

func (l *labeler) index(value string) (int32, error) {
	if i, ok := l.ids[value]; ok {
		return i, nil
	}
	if !l.discover {
		return 0, fmt.Errorf("%w %q", ErrUnknownLabel, l.classes)
	}
	if value == "" {
		return 0, fmt.Errorf("%w: empty label", ErrUnknownLabel)
	}
	i := int32(len(l.classes))
	l.ids[value] = i
	l.classes = append(l.classes, value)
	return i, nil
}

// finish returns the classes; discovered ones are sorted and y renumbered.
func (l *labeler) finish(y []int32) []string {
	if !l.discover {
		return l.classes
	}
	sorted := slices.Clone(l.classes)
	slices.Sort(sorted)
	remap := make([]int32, len(l.classes))
	for i, c := range l.classes {
		j, _ := slices.BinarySearch(sorted, c)
		remap[i] = int32(j)
	}
	for i := range y {
		y[i] = remap[y[i]]
	}
	return sorted
}
