package coordinator

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// parseSpec parses, defaults and validates a submitted spec with experiments.Parse
// and returns it with its hash. A bad spec becomes a FieldError naming the first
// problem's field, with every problem's line in the message.
func parseSpec(data []byte) (*experiments.Spec, string, error) {
	spec, err := experiments.Parse(data, "spec")
	if err == nil {
		return spec, spec.Hash(), nil
	}
	var se *experiments.SpecError
	if !errors.As(err, &se) || len(se.Problems) == 0 {
		return nil, "", structs.Invalid("spec", err.Error())
	}
	var msgs []string
	for i, p := range se.Problems {
		m := p.Message
		if i > 0 && p.Field != "" {
			m = p.Field + ": " + m
		}
		if p.Line > 0 {
			m = fmt.Sprintf("line %d: %s", p.Line, m)
		}
		msgs = append(msgs, m)
	}
	field := se.Problems[0].Field
	if field == "" {
		field = "spec"
	}
	return nil, "", structs.Invalid(field, strings.Join(msgs, "; also "))
}
