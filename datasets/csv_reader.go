package datasets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// CSVReader is dxtrain's one CSV front end, shared by the tabular loader, the
// prediction reader and the ingest pipeline: it strips a spreadsheet's UTF-8 BOM,
// reads the header, refuses ragged rows with the column counts, and reports every
// problem as a *CSVError with the source and line but never a cell value.
type CSVReader struct {
	cr     *csv.Reader
	source string
	header []string
	rows   int
}

// utf8BOM is stripped from the start of the input: spreadsheet exports add it and
// it would otherwise become part of the first column's name.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// NewCSVReader reads the header row of r. source names the input in errors.
func NewCSVReader(r io.Reader, source string) (*CSVReader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if p, _ := br.Peek(len(utf8BOM)); bytes.Equal(p, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows get our own error, with the column counts
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &CSVError{Source: source, Err: ErrEmpty}
	}
	if err != nil {
		return nil, csvSyntaxError(source, err)
	}
	return &CSVReader{cr: cr, source: source, header: header}, nil
}

// Header is the header row as read (names untrimmed).
func (c *CSVReader) Header() []string { return c.header }

// Next returns the next data row (a fresh slice the caller may keep) and its 1-based
// line. At the end it returns io.EOF, or ErrNoRows when there was no data row.
func (c *CSVReader) Next() (int, []string, error) {
	rec, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		if c.rows == 0 {
			return 0, nil, &CSVError{Source: c.source, Err: ErrNoRows}
		}
		return 0, nil, io.EOF
	}
	if err != nil {
		return 0, nil, csvSyntaxError(c.source, err)
	}
	line, _ := c.cr.FieldPos(0)
	if len(rec) != len(c.header) {
		return 0, nil, &CSVError{Source: c.source, Line: line,
			Err: fmt.Errorf("%w (%w): %d fields, the header has %d", ErrRagged, ErrMalformed, len(rec), len(c.header))}
	}
	c.rows++
	return line, rec, nil
}

// csvSyntaxError converts encoding/csv's errors, whose text carries positions but
// no cell values.
func csvSyntaxError(source string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &CSVError{Source: source, Line: pe.Line,
			Err: fmt.Errorf("%w: column %d: %v", ErrMalformed, pe.Column, pe.Err)}
	}
	return &CSVError{Source: source, Err: fmt.Errorf("read: %w", err)}
}

// ParseFeature parses one numeric feature cell: a finite float32, surrounding spaces
// ignored. Its errors wrap ErrNotNumeric and never include the cell text (strconv's
// would).
func ParseFeature(cell string) (float32, error) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return 0, fmt.Errorf("%w: empty cell", ErrNotNumeric)
	}
	v, err := strconv.ParseFloat(s, 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: out of float32 range", ErrNotNumeric)
	case err != nil:
		return 0, fmt.Errorf("%w: cannot parse the cell as a number", ErrNotNumeric)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%w: NaN or infinite", ErrNotNumeric)
	}
	return float32(v), nil
}
