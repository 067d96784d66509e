package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/dxtrain/dxtrain/datasets"
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

// parseCSV reads the table through datasets' CSV front end; its errors are input
// errors (ErrInput) at the line they are about.
func parseCSV(r io.Reader, source string) (*rawTable, error) {
	cr, err := datasets.NewCSVReader(r, source)
	if err != nil {
		return nil, asInputError(err)
	}
	t := &rawTable{header: slices.Clone(cr.Header())}
	for {
		line, rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, asInputError(err)
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
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
