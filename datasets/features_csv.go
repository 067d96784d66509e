package datasets

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// ReadFeaturesCSV reads the named feature columns of a CSV with a header, in the
// given order, for prediction: other columns (a label, identifiers already dropped
// upstream) are ignored. It returns the rows row-major and their count.
func ReadFeaturesCSV(r io.Reader, source string, features []string) ([]float32, int, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, &CSVError{Source: source, Err: ErrEmpty}
	}
	if err != nil {
		return nil, 0, csvSyntaxError(source, err)
	}
	position := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
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
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, csvSyntaxError(source, err)
		}
		line, _ := cr.FieldPos(0)
		for i, c := range cols {
			v, err := parseFeature(rec[c])
			if err != nil {
				return nil, 0, &CSVError{Source: source, Line: line, Column: features[i], Err: err}
			}
			x = append(x, v)
		}
		rows++
	}
	if rows == 0 {
		return nil, 0, &CSVError{Source: source, Err: ErrNoRows}
	}
	return x, rows, nil
}
