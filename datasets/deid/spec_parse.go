package deid

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The parser walks the YAML node tree instead of decoding into structs so
// that every error carries the field path and the line, and so that it is
// strict beyond yaml.v3's KnownFields: unknown fields, duplicate keys, aliases,
// wrong kinds and trailing documents are all refused.

var datasetNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// LoadIngestSpec reads and parses the ingest spec at path.
func LoadIngestSpec(path string) (*IngestSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ingest spec: %w", err)
	}
	s, err := ParseIngestSpec(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseIngestSpec parses and validates an ingest spec.
func ParseIngestSpec(data []byte) (*IngestSpec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("ingest spec: %w: empty document", ErrInvalidSpec)
		}
		return nil, fmt.Errorf("ingest spec: %w: %w", ErrInvalidSpec, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("ingest spec: %w: more than one YAML document", ErrInvalidSpec)
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("ingest spec: %w: empty document", ErrInvalidSpec)
	}
	s, lines, err := parseTop(doc.Content[0])
	if err != nil {
		return nil, err
	}
	return s, validate(s, lines)
}

// fieldSet is a mapping node's values by key, with the key lines.
type fieldSet struct {
	values map[string]*yaml.Node
	lines  map[string]int
	keys   []string // in document order
	line   int      // the mapping's own line
}

// fields checks that n is a mapping with no unknown or duplicate keys.
func fields(n *yaml.Node, path string, allowed ...string) (*fieldSet, error) {
	if n.Kind == yaml.AliasNode {
		return nil, specError(n.Line, path, "aliases are not supported")
	}
	if n.Kind != yaml.MappingNode {
		return nil, specError(n.Line, path, "want a mapping")
	}
	fs := &fieldSet{values: map[string]*yaml.Node{}, lines: map[string]int{}, line: n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, specError(k.Line, path, "keys must be plain strings")
		}
		p := join(path, k.Value)
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			return nil, specError(k.Line, p, "unknown field (want one of %s)", strings.Join(allowed, ", "))
		}
		if first, dup := fs.lines[k.Value]; dup {
			return nil, specError(k.Line, p, "duplicate key (first at line %d)", first)
		}
		if v.Kind == yaml.AliasNode {
			return nil, specError(v.Line, p, "aliases are not supported")
		}
		fs.values[k.Value] = v
		fs.lines[k.Value] = k.Line
		fs.keys = append(fs.keys, k.Value)
	}
	return fs, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalar returns a scalar's text; null gives "".
func scalar(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", specError(n.Line, path, "want a single value")
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

func decodeScalar[T any](n *yaml.Node, path, want string) (T, error) {
	var v T
	if n.Kind != yaml.ScalarNode {
		return v, specError(n.Line, path, "want %s", want)
	}
	if err := n.Decode(&v); err != nil {
		return v, specError(n.Line, path, "want %s", want)
	}
	return v, nil
}

// parseTop reads the top-level mapping; it also returns the line of each
// top-level key for the whole-spec checks.
func parseTop(root *yaml.Node) (*IngestSpec, map[string]int, error) {
	fs, err := fields(root, "", "name", "description", "input", "label", "k", "reference_date", "key_file", "columns", "dicom")
	if err != nil {
		return nil, nil, err
	}
	s := &IngestSpec{K: DefaultK}
	for _, key := range fs.keys {
		v := fs.values[key]
		switch key {
		case "name":
			s.Name, err = scalar(v, key)
		case "description":
			s.Description, err = scalar(v, key)
		case "key_file":
			s.KeyFile, err = scalar(v, key)
		case "k":
			s.K, err = decodeScalar[int](v, key, "an integer")
		case "reference_date":
			s.ReferenceDate, err = parseReferenceDate(v)
		case "input":
			s.Input, err = parseInput(v)
		case "label":
			s.Label, err = parseLabel(v)
		case "columns":
			s.Columns, err = parseColumns(v)
		case "dicom":
			if s.DICOM, err = parseDICOM(v); err == nil {
				s.DICOM.Line = fs.lines[key]
			}
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if _, ok := fs.values["name"]; !ok {
		return nil, nil, specError(fs.line, "name", "required")
	}
	if _, ok := fs.values["input"]; !ok {
		return nil, nil, specError(fs.line, "input", "required")
	}
	if _, ok := fs.values["label"]; !ok {
		return nil, nil, specError(fs.line, "label", "required")
	}
	// A line for every key, so messages about absent keys point at the top.
	lines := map[string]int{"name": fs.line, "k": fs.line, "columns": fs.line, "label": fs.line, "dicom": fs.line, "input": fs.line}
	for k, l := range fs.lines {
		lines[k] = l
	}
	return s, lines, nil
}

func parseReferenceDate(v *yaml.Node) (time.Time, error) {
	text, err := scalar(v, "reference_date")
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(referenceDateLayout, text)
	if err != nil {
		return time.Time{}, specError(v.Line, "reference_date", "want a date as YYYY-MM-DD")
	}
	return t, nil
}

func parseInput(v *yaml.Node) (Input, error) {
	var in Input
	fs, err := fields(v, "input", "path", "format")
	if err != nil {
		return in, err
	}
	if n, ok := fs.values["path"]; ok {
		if in.Path, err = scalar(n, "input.path"); err != nil {
			return in, err
		}
	}
	if in.Path == "" {
		return in, specError(fs.line, "input.path", "required")
	}
	n, ok := fs.values["format"]
	if !ok {
		return in, specError(fs.line, "input.format", "required (csv, idx, npz or dicom)")
	}
	f, err := scalar(n, "input.format")
	if err != nil {
		return in, err
	}
	in.Format = Format(f)
	switch in.Format {
	case FormatCSV, FormatIDX, FormatNPZ, FormatDICOM:
	default:
		return in, specError(n.Line, "input.format", "unknown format %q (want csv, idx, npz or dicom)", f)
	}
	return in, nil
}

func parseLabel(v *yaml.Node) (Label, error) {
	var l Label
	fs, err := fields(v, "label", "column", "classes")
	if err != nil {
		return l, err
	}
	if n, ok := fs.values["column"]; ok {
		if l.Column, err = scalar(n, "label.column"); err != nil {
			return l, err
		}
	}
	n, ok := fs.values["classes"]
	if !ok {
		return l, specError(fs.line, "label.classes", "required")
	}
	if n.Kind != yaml.SequenceNode {
		return l, specError(n.Line, "label.classes", "want a list")
	}
	for i, c := range n.Content {
		p := fmt.Sprintf("label.classes[%d]", i)
		text, err := scalar(c, p)
		if err != nil {
			return l, err
		}
		if text == "" {
			return l, specError(c.Line, p, "empty class")
		}
		if slices.Contains(l.Classes, text) {
			return l, specError(c.Line, p, "duplicate class %q", text)
		}
		l.Classes = append(l.Classes, text)
	}
	if len(l.Classes) < 2 {
		return l, specError(n.Line, "label.classes", "want at least two classes")
	}
	return l, nil
}

func parseColumns(v *yaml.Node) ([]ColumnSpec, error) {
	fs, err := fields(v, "columns")
	if err != nil {
		return nil, err
	}
	cols := make([]ColumnSpec, 0, len(fs.keys))
	for _, name := range fs.keys {
		c, err := parseColumn(name, fs.values[name], fs.lines[name])
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// parseColumn reads one declaration: either a role alone (crp: feature) or
// a mapping (dob: {role: date_of_birth, output: age_band}).
func parseColumn(name string, v *yaml.Node, line int) (ColumnSpec, error) {
	path := "columns." + name
	c := ColumnSpec{Name: name, Line: line}
	if name == "" {
		return c, specError(line, path, "empty column name")
	}
	if v.Kind == yaml.ScalarNode {
		r, err := parseRole(v, path)
		c.Role = r
		return c, err
	}
	fs, err := fields(v, path, "role", "action", "allow", "output", "quasi_identifier")
	if err != nil {
		return c, err
	}
	rn, ok := fs.values["role"]
	if !ok {
		return c, specError(fs.line, path+".role", "required")
	}
	if c.Role, err = parseRole(rn, path+".role"); err != nil {
		return c, err
	}
	for _, key := range fs.keys {
		n, p := fs.values[key], path+"."+key
		switch key {
		case "action":
			var a string
			if a, err = scalar(n, p); err == nil {
				c.Action = Action(a)
			}
		case "allow":
			c.Allow, err = decodeScalar[bool](n, p, "true or false")
		case "output":
			c.Output, err = scalar(n, p)
		case "quasi_identifier":
			c.QuasiIdentifier, err = decodeScalar[bool](n, p, "true or false")
			if err == nil && !c.QuasiIdentifier && alwaysQuasiIdentifier(c.Role) {
				err = specError(n.Line, p, "a %s column is always a quasi-identifier", c.Role)
			}
		}
		if err != nil {
			return c, err
		}
	}
	return c, checkColumnOptions(c, fs, path)
}

func parseRole(n *yaml.Node, path string) (Role, error) {
	text, err := scalar(n, path)
	if err != nil {
		return "", err
	}
	r := Role(text)
	if !slices.Contains(roles, r) {
		names := make([]string, len(roles))
		for i, x := range roles {
			names[i] = string(x)
		}
		return "", specError(n.Line, path, "unknown role %q (want one of %s)", text, strings.Join(names, ", "))
	}
	return r, nil
}

func alwaysQuasiIdentifier(r Role) bool {
	return r == RoleQuasiIdentifier || r == RoleDateOfBirth || r == RolePostcode
}

// checkColumnOptions refuses options that make no sense for the role.
func checkColumnOptions(c ColumnSpec, fs *fieldSet, path string) error {
	if n, ok := fs.values["action"]; ok && c.Role != RoleIdentifier {
		return specError(n.Line, path+".action", "only identifier columns take an action")
	}
	if c.Role == RoleIdentifier && c.Action != ActionDrop && c.Action != ActionPseudonymise {
		line := fs.line
		if n, ok := fs.values["action"]; ok {
			line = n.Line
		}
		return specError(line, path+".action", "identifier columns need action: drop or action: pseudonymise")
	}
	if n, ok := fs.values["allow"]; ok && c.Role != RoleFreeText {
		return specError(n.Line, path+".allow", "only free_text columns take allow")
	}
	if n, ok := fs.values["output"]; ok && !c.Kept() {
		return specError(n.Line, path+".output", "the column is dropped, so it has no output name")
	}
	if n, ok := fs.values["quasi_identifier"]; ok && !c.Kept() {
		return specError(n.Line, path+".quasi_identifier", "the column is dropped, so it cannot be a quasi-identifier")
	}
	if n, ok := fs.values["quasi_identifier"]; ok && c.Role == RoleLabel {
		return specError(n.Line, path+".quasi_identifier", "the label cannot be a quasi-identifier")
	}
	if n, ok := fs.values["quasi_identifier"]; ok && c.Role == RoleIdentifier {
		return specError(n.Line, path+".quasi_identifier", "a pseudonym is unique per person; it cannot be a quasi-identifier")
	}
	return nil
}
