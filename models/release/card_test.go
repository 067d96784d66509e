package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCardEncodeParse(t *testing.T) {
	c := testCard()
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("{\n  \"schema\": \"dxtrain.model-card.v1\",\n")) || !bytes.HasSuffix(b, []byte("}\n")) {
		t.Fatalf("card.json is not indented JSON with a final newline:\n%s", b)
	}
	parsed, err := ParseCard(b)
	if err != nil {
		t.Fatalf("parse own encoding: %v", err)
	}
	if again, _ := parsed.Encode(); !bytes.Equal(again, b) {
		t.Fatal("parse and encode is not the identity")
	}
	var report struct {
		Subgroups map[string]map[string]float64 `json:"subgroups"`
	}
	if err := json.Unmarshal(parsed.Evaluation, &report); err != nil || report.Subgroups["age<50"]["auroc"] != 0.99 {
		t.Fatalf("evaluation report lost: %v %+v", err, report)
	}
	if _, err := ParseCard(bytes.Replace(b, []byte("  "), []byte(" "), 1)); !errors.Is(err, ErrInvalidCard) {
		t.Fatalf("re-indented card: got %v, want ErrInvalidCard", err)
	}
}

func TestCardValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Card)
		inText string
	}{
		{"schema", func(c *Card) { c.Schema = "" }, "schema"},
		{"name", func(c *Card) { c.Name = "" }, "name"},
		{"version", func(c *Card) { c.Version = "1 beta" }, "version"},
		{"intended use", func(c *Card) { c.IntendedUse = "" }, "intended_use"},
		{"intended users", func(c *Card) { c.IntendedUsers = "" }, "intended_users"},
		{"dataset description", func(c *Card) { c.Dataset.Description = "" }, "dataset.description"},
		{"dataset hash", func(c *Card) { c.Dataset.ManifestSHA256 = "x" }, "dataset.manifest_sha256"},
		{"spec hash", func(c *Card) { c.Training.SpecSHA256 = "" }, "training.spec_sha256"},
		{"one class", func(c *Card) { c.Classes = []string{"a"} }, "classes"},
		{"duplicate class", func(c *Card) { c.Classes = []string{"benign", "benign"} }, "classes[1]"},
		{"positive class", func(c *Card) { c.PositiveClass = "unknown" }, "positive_class"},
		{"duplicate feature", func(c *Card) { c.Features = []string{"a", "a"} }, "features[1]"},
		{"no evaluation", func(c *Card) { c.Evaluation = nil }, "evaluation"},
		{"evaluation not object", func(c *Card) { c.Evaluation = json.RawMessage(`[1]`) }, "evaluation"},
		{"evaluation invalid", func(c *Card) { c.Evaluation = json.RawMessage(`{"a":}`) }, "evaluation"},
		{"no limitations", func(c *Card) { c.Limitations = nil }, "limitations"},
		{"empty limitation", func(c *Card) { c.Limitations = []string{""} }, "limitations[0]"},
		{"code version", func(c *Card) { c.CodeVersion = "" }, "code_version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCard()
			if err := c.Validate(); err != nil {
				t.Fatalf("valid card refused: %v", err)
			}
			tc.change(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidCard) || !strings.Contains(err.Error(), tc.inText) {
				t.Fatalf("got %v, want ErrInvalidCard naming %s", err, tc.inText)
			}
		})
	}
}

// TestCardFeaturesOptional: image models have no feature names.
func TestCardFeaturesOptional(t *testing.T) {
	c := testCard()
	c.Features = nil
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
