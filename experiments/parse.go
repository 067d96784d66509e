package experiments

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSpecSize bounds a spec file; real specs are a few hundred bytes.
const MaxSpecSize = 1 << 20

// Load reads, parses, defaults and validates the spec file at path.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a YAML spec strictly (unknown fields and wrong types are
// errors), applies defaults and validates it. source names the input in errors.
// Every problem found is reported in one *SpecError with its field path and
// line, and a spec with problems is never returned.
func Parse(data []byte, source string) (*Spec, error) {
	if source == "" {
		source = "<spec>"
	}
	fail := func(p ...Problem) error { return &SpecError{Source: source, Problems: p} }
	if len(data) > MaxSpecSize {
		return nil, fail(Problem{Message: fmt.Sprintf("spec is %d bytes, more than the %d limit", len(data), MaxSpecSize)})
	}

	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&s)
	if errors.Is(err, io.EOF) {
		return nil, fail(Problem{Message: "spec is empty"})
	}
	var doc yaml.Node
	if nodeErr := yaml.Unmarshal(data, &doc); nodeErr != nil {
		return nil, fail(syntaxProblem(nodeErr))
	}
	ix := newNodeIndex(&doc)
	if ix.anchorLine > 0 {
		return nil, fail(Problem{Line: ix.anchorLine, Message: "YAML anchors, aliases and merge keys are not allowed in a spec; write the values out"})
	}
	if err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fail(syntaxProblem(err))
		}
		problems := make([]Problem, 0, len(te.Errors))
		for _, msg := range te.Errors {
			problems = append(problems, typeProblem(ix, msg))
		}
		return nil, fail(problems...)
	}
	if p := integerProblems(ix); len(p) > 0 {
		return nil, fail(p...)
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, fail(Problem{Message: "more than one YAML document; a spec file holds exactly one"})
	}
	if ix.root == nil || ix.root.Kind != yaml.MappingNode {
		return nil, fail(Problem{Line: ix.line(""), Message: "spec must be a YAML mapping of fields"})
	}

	s.applyDefaults(ix.present)
	if p := s.runtimeProblems(ix); len(p) > 0 {
		return nil, fail(p...)
	}
	if err := s.Validate(); err != nil {
		var se *SpecError
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("validate %s: %w", source, err)
		}
		for i := range se.Problems {
			se.Problems[i].Line = ix.line(se.Problems[i].Field)
		}
		slices.SortStableFunc(se.Problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
		se.Source = source
		return nil, se
	}
	return &s, nil
}

var (
	syntaxLine    = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownField  = regexp.MustCompile(`^line (\d+): field (.*) not found in type (\S+)$`)
	repeatedField = regexp.MustCompile(`^line (\d+): (?:field (.*) already set in type \S+|mapping key "(.*)" already defined at line \d+)$`)
	wrongType     = regexp.MustCompile(`^line (\d+): cannot unmarshal (.*) into (\S+)$`)
	anyLine       = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// syntaxProblem turns a yaml.v3 syntax error into a Problem with its line.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Message: "invalid YAML: " + m[2]}
	}
	return Problem{Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// typeProblem turns one yaml.v3 type-error line into a Problem, keeping yaml's
// line and adding the field path found at that line.
func typeProblem(ix *nodeIndex, msg string) Problem {
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path, _ := ix.keyAt(line, m[2])
		if path == "" {
			path = m[2]
		}
		return Problem{Field: path, Line: line, Message: "unknown field; allowed here: " + strings.Join(knownKeys[m[3]], ", ")}
	}
	if m := repeatedField.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		key := m[2] + m[3]
		path, _ := ix.keyAt(line, key)
		if path == "" {
			path = key
		}
		return Problem{Field: path, Line: line, Message: "is set twice"}
	}
	if m := wrongType.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path, _ := ix.valueAt(line, m[2])
		return Problem{Field: path, Line: line, Message: fmt.Sprintf("want %s, got %s", describeType(m[3]), m[2])}
	}
	if m := anyLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Message: m[2]}
	}
	return Problem{Message: msg}
}

// knownKeys maps each spec struct type's name (as yaml.v3 prints it) to its
// YAML keys, for "allowed here" hints.
var knownKeys = func() map[string][]string {
	out := map[string][]string{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		if _, done := out[t.String()]; done || t.Kind() != reflect.Struct {
			return
		}
		var keys []string
		for f := range t.Fields() {
			keys = append(keys, yamlKey(f))
			visit(f.Type)
		}
		out[t.String()] = keys
	}
	visit(reflect.TypeFor[Spec]())
	return out
}()

func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// describeType says in words what a Go type yaml.v3 named expects.
func describeType(goType string) string {
	switch goType {
	case "int":
		return "an integer"
	case "uint64":
		return "a non-negative integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "[]int":
		return "a list of integers"
	case "[]string":
		return "a list of strings"
	}
	if keys, ok := knownKeys[goType]; ok {
		return "a mapping with keys " + strings.Join(keys, ", ")
	}
	return goType
}
