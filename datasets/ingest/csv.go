package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// rawTable is a CSV file as strings, with each record's line and the
// file's hash and size.
type rawTable struct {
	header []string
	rows   [][]string
	lines  []int // 1-based line of each data row
	sha    string
	bytes  int64
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readCSV reads a CSV file with a header. Errors name the line, never a
// field's text.
func readCSV(path string) (*rawTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	defer f.Close()
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(f, h)}
	t, err := parseCSV(counted, path)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInput, err)
	}
	t.sha = hex.EncodeToString(h.Sum(nil))
	t.bytes = counted.n
	return t, nil
}

func parseCSV(r io.Reader, source string) (*rawTable, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if p, _ := br.Peek(len(utf8BOM)); bytes.Equal(p, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &InputError{Source: source, Err: fmt.Errorf("%w: empty file", ErrInput)}
	}
	if err != nil {
		return nil, csvError(source, err)
	}
	t := &rawTable{header: slices.Clone(header)}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(source, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &InputError{Source: source, Line: line,
				Err: fmt.Errorf("%w: %d fields, the header has %d", ErrInput, len(rec), len(header))}
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	if len(t.rows) == 0 {
		return nil, &InputError{Source: source, Err: fmt.Errorf("%w: no data rows", ErrInput)}
	}
	return t, nil
}

// csvError keeps encoding/csv's position but not its text beyond the
// problem (its messages hold no field values).
func csvError(source string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{Source: source, Line: pe.Line,
			Err: fmt.Errorf("%w: malformed csv at column %d: %v", ErrInput, pe.Column, pe.Err)}
	}
	return &InputError{Source: source, Err: fmt.Errorf("%w: read: %w", ErrInput, err)}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
