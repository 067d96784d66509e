package onnx

import (
	"encoding/json"
	"strconv"
)

// Provenance is what every exported model records about where it came from, in its
// metadata props: a trust reading the file alone can tell which experiment, spec,
// dataset and checkpoint produced it and what it scored on the held-out test split.
type Provenance struct {
	Experiment    string
	Architecture  string
	Head          string
	SpecSHA256    string
	DatasetSHA256 string
	Checkpoint    string // manifest SHA-256 of the checkpoint holding the parameters
	Features      []string
	Classes       []string // the last is the positive class
	TestAccuracy  float64
	TestAUROC     float64
	CodeVersion   string
}

// Metadata is p as the dxtrain.* metadata props.
func (p Provenance) Metadata() map[string]string {
	features, _ := json.Marshal(p.Features)
	classes, _ := json.Marshal(p.Classes)
	positive := ""
	if len(p.Classes) > 0 {
		positive = p.Classes[len(p.Classes)-1]
	}
	return map[string]string{
		"dxtrain.experiment":     p.Experiment,
		"dxtrain.architecture":   p.Architecture,
		"dxtrain.spec_sha256":    p.SpecSHA256,
		"dxtrain.dataset_sha256": p.DatasetSHA256,
		"dxtrain.checkpoint":     p.Checkpoint,
		"dxtrain.features":       string(features),
		"dxtrain.classes":        string(classes),
		"dxtrain.positive_class": positive,
		"dxtrain.head":           p.Head,
		"dxtrain.input_is_raw":   "true",
		"dxtrain.test_accuracy":  strconv.FormatFloat(p.TestAccuracy, 'f', 6, 64),
		"dxtrain.test_auroc":     strconv.FormatFloat(p.TestAUROC, 'f', 6, 64),
		"dxtrain.code_version":   p.CodeVersion,
	}
}
