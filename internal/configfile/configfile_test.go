package configfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type testConfig struct {
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
}

func (c *testConfig) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("name: is empty"))
	}
	if c.Count < 1 {
		errs = append(errs, errors.New("count: is below 1"))
	}
	return errors.Join(errs...)
}

func TestParseDecodesOverTheDefaults(t *testing.T) {
	got, err := Parse([]byte("name: a\n"), testConfig{Count: 3})
	if err != nil || got != (testConfig{Name: "a", Count: 3}) {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
	if got, err := Parse([]byte(""), testConfig{Name: "d", Count: 1}); err != nil || got.Name != "d" {
		t.Fatalf("an empty file: %+v, %v", got, err)
	}
}

func TestParseRefusesUnknownKeysAndNamesEveryViolation(t *testing.T) {
	if _, err := Parse([]byte("nmae: a\n"), testConfig{Name: "d", Count: 1}); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown key: %v", err)
	}
	_, err := Parse([]byte("count: 0\n"), testConfig{})
	if err == nil || !strings.Contains(err.Error(), "name: is empty") || !strings.Contains(err.Error(), "count: is below 1") {
		t.Fatalf("violations: %v", err)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("count: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testConfig{Name: "d"}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load = %v, want an error naming %s", err, path)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), testConfig{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing file: %v", err)
	}
}
