package experiments

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidSpec is wrapped by every error about a spec's content: syntax, an
// unknown field, a wrong type or an impossible value.
var ErrInvalidSpec = errors.New("invalid experiment spec")

// Problem is one thing wrong with a spec.
type Problem struct {
	// Field is the dotted YAML path ("training.optimizer.learning_rate",
	// "model.hidden[1]"); empty for problems of the whole document.
	Field string
	// Line is the 1-based YAML line the problem is at (for a missing field, the
	// line of its nearest present parent); 0 when unknown.
	Line int
	// Message says what is wrong and what would be right.
	Message string
}

// SpecError lists every problem found in one spec, so a researcher can fix them
// all in one go. It wraps ErrInvalidSpec.
type SpecError struct {
	Source   string // the file name, or what Parse was told
	Problems []Problem
}

func (e *SpecError) Error() string {
	if len(e.Problems) == 1 {
		return e.format(e.Problems[0])
	}
	var b strings.Builder
	source := e.Source
	if source == "" {
		source = "spec"
	}
	fmt.Fprintf(&b, "%s: %d problems:", source, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(e.format(p))
	}
	return b.String()
}

func (e *SpecError) format(p Problem) string {
	where := e.Source
	if where == "" {
		where = "spec"
	}
	if p.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, p.Line)
	}
	if p.Field == "" {
		return fmt.Sprintf("%s: %s", where, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Field, p.Message)
}

// Unwrap makes errors.Is(err, ErrInvalidSpec) true.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }
