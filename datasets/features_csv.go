package datasets

import (
	"errors"
	"io"
	"strings"
)

// ReadFeaturesCSV reads the named feature columns of a CSV with a header, in the
// given order, for prediction: other columns (a label, identifiers already dropped
// upstream) are ignored. It returns the rows row-major and their count.
func ReadFeaturesCSV(r io.Reader, source string, features []string) ([]float32, int, error) {
	cr, err := NewCSVReader(r, source)
	if err != nil {
		return nil, 0, err
	}
	header := cr.Header()
	position := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := position[h]; dup {
			return nil, 0, &CSVError{Source: source, Line: 1, Column: h, Err: ErrDuplicateColumn}
		}
		position[h] = i
	}
	cols := make([]int, len(features))
	for i, f := range features {
		c, ok := position[f]
		if !ok {
			return nil, 0, &CSVError{Source: source, Line: 1, Column: f, Err: ErrMissingColumn}
		}
		cols[i] = c
	}
	var x []float32
	rows := 0
	for {
		line, rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return x, rows, nil
		}
		if err != nil {
			return nil, 0, err
		}
		for i, c := range cols {
			v, err := ParseFeature(rec[c])
			if err != nil {
				return nil, 0, &CSVError{Source: source, Line: line, Column: features[i], Err: err}
			}
			x = append(x, v)
		}
		rows++
	}
}
