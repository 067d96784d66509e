package deid

import (
	"fmt"

	"github.com/dxtrain/dxtrain/datasets/gate"
)

// Transform names what was done to one input column, for the manifest.
type Transform struct {
	Column string `json:"column"`
	Role   Role   `json:"role"`
	Output string `json:"output,omitempty"` // empty when the column was dropped
	// Method is one of: drop, hmac_sha256_128, age_band_5y_90plus,
	// year_month, postcode_district, keep.
	Method string `json:"method"`
}

// Transform methods.
const (
	MethodDrop             = "drop"
	MethodHMAC             = "hmac_sha256_128"
	MethodAgeBand          = "age_band_5y_90plus"
	MethodYearMonth        = "year_month"
	MethodPostcodeDistrict = "postcode_district"
	MethodKeep             = "keep"
)

// OutputColumn describes one column of the de-identified table.
type OutputColumn struct {
	Name            string `json:"name"`
	Source          string `json:"source"` // the input column
	Role            Role   `json:"role"`
	Transformed     bool   `json:"transformed"`
	QuasiIdentifier bool   `json:"quasi_identifier,omitempty"`
}

// Result is the de-identified table and what was done to produce it.
type Result struct {
	Header     []string
	Rows       [][]string
	Columns    []OutputColumn // parallel to Header
	Transforms []Transform    // one per input column, in input order
}

// GateTable is the result as the anonymisation gate's input, with the
// spec's k.
func (r *Result) GateTable(k int) *gate.Table {
	cols := make([]gate.Column, len(r.Columns))
	for i, c := range r.Columns {
		cols[i] = gate.Column{Role: string(c.Role), Transformed: c.Transformed, QuasiIdentifier: c.QuasiIdentifier}
	}
	return &gate.Table{Header: r.Header, Rows: r.Rows, Columns: cols, K: k}
}

// Names returns the output columns with the given role, in order.
func (r *Result) Names(role Role) []string {
	var out []string
	for _, c := range r.Columns {
		if c.Role == role {
			out = append(out, c.Name)
		}
	}
	return out
}

// cellFunc transforms one cell.
type cellFunc func(string) (string, error)

// Apply de-identifies a CSV-shaped table according to the spec. Every input
// column must be declared and every declared column present. ps may be nil
// when no column is pseudonymised. Errors name rows and columns, never values.
func Apply(spec *IngestSpec, header []string, rows [][]string, ps *Pseudonymiser) (*Result, error) {
	if spec.Input.Format != FormatCSV {
		return nil, fmt.Errorf("de-identify: %w: %s input has no columns", ErrColumns, spec.Input.Format)
	}
	if spec.NeedsKey() && ps == nil {
		return nil, fmt.Errorf("de-identify: %w: the spec pseudonymises a column; give key_file or --key-file", ErrNoKey)
	}
	decl, err := matchColumns(spec, header)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	var funcs []cellFunc
	var sources []int
	for i, c := range decl {
		fn, method := cellTransform(c, spec, ps)
		t := Transform{Column: c.Name, Role: c.Role, Method: method}
		if c.Kept() {
			t.Output = c.OutputName()
			res.Header = append(res.Header, t.Output)
			res.Columns = append(res.Columns, OutputColumn{
				Name: t.Output, Source: c.Name, Role: c.Role,
				Transformed: fn != nil, QuasiIdentifier: c.QuasiIdentifier,
			})
			funcs = append(funcs, fn)
			sources = append(sources, i)
		}
		res.Transforms = append(res.Transforms, t)
	}
	res.Rows = make([][]string, len(rows))
	for r, row := range rows {
		if len(row) != len(header) {
			return nil, fmt.Errorf("de-identify: %w: data row %d has %d cells, header has %d", ErrColumns, r+1, len(row), len(header))
		}
		out := make([]string, len(sources))
		for o, src := range sources {
			v := row[src]
			if fn := funcs[o]; fn != nil {
				if v, err = fn(v); err != nil {
					return nil, fmt.Errorf("de-identify: data row %d, column %s: %w", r+1, decl[src].Name, err)
				}
			}
			out[o] = v
		}
		res.Rows[r] = out
	}
	return res, nil
}

// cellTransform returns the transform of a kept column (nil when the
// column is kept as is) and the method name for the manifest.
func cellTransform(c ColumnSpec, spec *IngestSpec, ps *Pseudonymiser) (cellFunc, string) {
	if !c.Kept() {
		return nil, MethodDrop
	}
	switch c.Role {
	case RoleIdentifier:
		return func(v string) (string, error) { return ps.Pseudonymise(v), nil }, MethodHMAC
	case RoleDateOfBirth:
		ref := spec.ReferenceDate
		return func(v string) (string, error) { return AgeBand(v, ref) }, MethodAgeBand
	case RoleEventDate:
		return EventMonth, MethodYearMonth
	case RolePostcode:
		return PostcodeDistrict, MethodPostcodeDistrict
	}
	return nil, MethodKeep
}

// matchColumns returns the declaration of each header column. A header
// that itself looks like an identifier (a file without a header row) is
// named by position only.
func matchColumns(spec *IngestSpec, header []string) ([]ColumnSpec, error) {
	seen := make(map[string]int, len(header))
	decl := make([]ColumnSpec, len(header))
	for i, h := range header {
		if prev, dup := seen[h]; dup {
			return nil, fmt.Errorf("de-identify: %w: input columns %d and %d have the same name %s", ErrColumns, prev+1, i+1, safeName(h))
		}
		seen[h] = i
		c, ok := spec.Column(h)
		if !ok {
			return nil, fmt.Errorf("de-identify: %w: input column %d %s is not declared in the ingest spec", ErrColumns, i+1, safeName(h))
		}
		decl[i] = c
	}
	for _, c := range spec.Columns {
		if _, ok := seen[c.Name]; !ok {
			return nil, fmt.Errorf("de-identify: %w: column %q (spec line %d) is not in the input", ErrColumns, c.Name, c.Line)
		}
	}
	return decl, nil
}

// safeName quotes a header name unless the gate finds an identifier in it.
func safeName(h string) string {
	if len(gate.ScanCell(h)) > 0 {
		return "(name withheld: it looks like an identifier; is the header row missing?)"
	}
	return fmt.Sprintf("%q", h)
}
