// Package configfile reads the YAML files that configure dxtrain's long-running
// processes (coordinator servers, worker agents) one way: decoded over the process's
// defaults, unknown keys refused (a misspelt key must not silently keep a default),
// and the result validated, naming every violation.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Validated is a pointer to a config type with a Validate method.
type Validated[C any] interface {
	*C
	Validate() error
}

// Parse decodes YAML over defaults and validates the result.
func Parse[C any, P Validated[C]](data []byte, defaults C) (C, error) {
	cfg := defaults
	var zero C
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return zero, fmt.Errorf("parse: %w", err)
	}
	if err := P(&cfg).Validate(); err != nil {
		return zero, err
	}
	return cfg, nil
}

// Load reads the file at path and parses it over defaults; errors name the file.
func Load[C any, P Validated[C]](path string, defaults C) (C, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var zero C
		return zero, fmt.Errorf("load config: %w", err)
	}
	cfg, err := Parse[C, P](data, defaults)
	if err != nil {
		return cfg, fmt.Errorf("load config %s: %w", path, err)
	}
	return cfg, nil
}
