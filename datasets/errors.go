package datasets

import (
	"errors"
	"fmt"
)

// Sentinel errors; returned errors wrap them (see CSVError for where).
var (
	// ErrEmpty means the input has no header row at all.
	ErrEmpty = errors.New("empty file")
	// ErrNoRows means the input has a header but no data rows.
	ErrNoRows = errors.New("no data rows")
	// ErrRagged means a row has a different number of fields than the header.
	ErrRagged = errors.New("wrong number of fields")
	// ErrNotNumeric means a feature cell is empty, not a number, NaN, infinite or
	// out of float32 range.
	ErrNotNumeric = errors.New("not a finite number")
	// ErrUnknownLabel means a label cell is not one of the declared classes.
	ErrUnknownLabel = errors.New("label is not one of the classes")
	// ErrMissingColumn means a column named by the options is not in the header.
	ErrMissingColumn = errors.New("column not in header")
	// ErrDuplicateColumn means the header (or an option list) names a column twice.
	ErrDuplicateColumn = errors.New("duplicate column")
	// ErrOptions means the reader or split options contradict themselves.
	ErrOptions = errors.New("invalid options")
	// ErrMalformed means the CSV syntax itself is broken (quotes, etc.).
	ErrMalformed = errors.New("malformed csv")
)

// CSVError says where in a CSV input a problem is. It carries the column name,
// never the cell value, so it is safe to log for clinical data.
type CSVError struct {
	Source string // file name or other description of the input
	Line   int    // 1-based line of the record; 0 when not about one line
	Column string // column name; "" when not about one column
	Err    error  // what is wrong; wraps one of the sentinels
}

func (e *CSVError) Error() string {
	where := e.Source
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, e.Line)
	}
	if e.Column != "" {
		return fmt.Sprintf("%s: column %q: %v", where, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *CSVError) Unwrap() error { return e.Err }
