package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// CardSchema tags every model card; a reader refuses a schema it does not know.
const CardSchema = "dxtrain.model-card.v1"

// maxCardSize bounds card.json; the evaluation report with subgroups fits many times.
const maxCardSize = 4 << 20

// Card is a model card: what the model is for, what it was trained on (by description
// and hash, never patient data), how it performed, and what it must not be used for.
// card.json is Card.Encode's output; the statement signs its SHA-256.
type Card struct {
	Schema        string       `json:"schema"` // CardSchema
	Name          string       `json:"name"`
	Version       string       `json:"version"`
	Experiment    string       `json:"experiment,omitempty"` // the experiment that trained it
	IntendedUse   string       `json:"intended_use"`
	IntendedUsers string       `json:"intended_users"`
	Dataset       CardDataset  `json:"dataset"`
	Training      CardTraining `json:"training"`
	Architecture  string       `json:"architecture"`
	// Runtime is "torch" for a model a researcher's PyTorch script trained and exported
	// ("" for dxtrain's native engine); CodeBundleSHA256 then names the script's code
	// and Framework the exporter ("pytorch 2.1.0", from the ONNX file's producer).
	Runtime          string          `json:"runtime,omitempty"`
	CodeBundleSHA256 string          `json:"code_bundle_sha256,omitempty"`
	Framework        string          `json:"framework,omitempty"`
	Classes          []string        `json:"classes"`
	PositiveClass    string          `json:"positive_class"`
	Features         []string        `json:"features"`   // input column names; empty for image models
	Evaluation       json.RawMessage `json:"evaluation"` // the released checkpoint's metrics report, a JSON object
	// Distribution summarises the development data for dataset-shift checks at trusts
	// (models evaluate); optional, so cards released before it still read.
	Distribution *CardDistribution `json:"distribution,omitempty"`
	Limitations  []string          `json:"limitations"`
	CreatedAt    time.Time         `json:"created_at"` // UTC
	CodeVersion  string            `json:"code_version"`
}

// CardDataset describes the training data by its manifest only.
type CardDataset struct {
	Description    string `json:"description"`
	ManifestSHA256 string `json:"manifest_sha256"`
}

// CardTraining pins how the model was trained.
type CardTraining struct {
	SpecSHA256 string `json:"spec_sha256"`
	Seed       uint64 `json:"seed"`
}

// Validate names the first field that is missing or malformed.
func (c *Card) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	return nil
}

func (c *Card) validate() error {
	if c.Schema != CardSchema {
		return fmt.Errorf("schema %q, want %q", c.Schema, CardSchema)
	}
	checks := []error{
		checkName("name", c.Name),
		checkName("version", c.Version),
		checkText("intended_use", c.IntendedUse, maxTextLen, true),
		checkText("intended_users", c.IntendedUsers, maxTextLen, true),
		checkText("dataset.description", c.Dataset.Description, maxTextLen, true),
		checkDigest("dataset.manifest_sha256", c.Dataset.ManifestSHA256),
		checkDigest("training.spec_sha256", c.Training.SpecSHA256),
		checkText("architecture", c.Architecture, maxShortLen, false),
		checkList("classes", c.Classes, false),
		checkList("features", c.Features, true),
		checkTime("created_at", c.CreatedAt),
		checkText("code_version", c.CodeVersion, maxShortLen, false),
	}
	if c.Experiment != "" {
		checks = append(checks, checkText("experiment", c.Experiment, maxShortLen, false))
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if len(c.Classes) < 2 {
		return fmt.Errorf("classes has %d entries, need at least 2", len(c.Classes))
	}
	if !slices.Contains(c.Classes, c.PositiveClass) {
		return fmt.Errorf("positive_class is not one of classes")
	}
	if err := checkEvaluation(c.Evaluation); err != nil {
		return err
	}
	if c.Distribution != nil {
		if err := c.Distribution.validate(c); err != nil {
			return err
		}
	}
	if len(c.Limitations) == 0 {
		return fmt.Errorf("limitations is empty: a card must say what the model must not be used for")
	}
	for i, l := range c.Limitations {
		if err := checkText(fmt.Sprintf("limitations[%d]", i), l, maxTextLen, true); err != nil {
			return err
		}
	}
	return nil
}

// checkEvaluation accepts any JSON object: the report's shape belongs to models/metrics.
func checkEvaluation(e json.RawMessage) error {
	t := bytes.TrimSpace(e)
	if len(t) == 0 || string(t) == "null" {
		return fmt.Errorf("evaluation is missing: the released checkpoint's metrics report is required")
	}
	if t[0] != '{' || !json.Valid(t) {
		return fmt.Errorf("evaluation is not a JSON object")
	}
	return nil
}

// Encode validates c and returns card.json: encoding/json with two-space indentation
// (people read cards) and a final newline. The same card always gives the same bytes;
// the evaluation report keeps its key order.
func (c *Card) Encode() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrInvalidCard, err)
	}
	return append(out, '\n'), nil
}

// ParseCard reads card.json, accepting only a valid card in exactly the form Encode
// writes.
func ParseCard(data []byte) (*Card, error) {
	if len(data) > maxCardSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidCard, len(data), maxCardSize)
	}
	var c Card
	if err := decodeStrict(data, &c); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrInvalidCard, err)
	}
	canonical, err := c.Encode()
	if err != nil {
		return nil, err
	}
	if err := checkCanonical(data, canonical); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCard, err)
	}
	return &c, nil
}
