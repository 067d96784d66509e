package release

import (
	"encoding/json"
	"fmt"
	"slices"
)

// ONNX metadata keys the exporter writes (trainer.exportONNX) that a release checks
// against its statement and card. CardMetadataKey is for an exporter that embeds
// card.json itself: when present it must equal card.json byte for byte.
const (
	CardMetadataKey = "dxtrain.card"
	metaExperiment  = "dxtrain.experiment"
	metaSpec        = "dxtrain.spec_sha256"
	metaDataset     = "dxtrain.dataset_sha256"
	metaCheckpoint  = "dxtrain.checkpoint"
	metaCodeVersion = "dxtrain.code_version"
	metaArch        = "dxtrain.architecture"
	metaFeatures    = "dxtrain.features"
	metaClasses     = "dxtrain.classes"
	metaPositive    = "dxtrain.positive_class"
)

// checkAgreement checks that the card and the statement describe the same model, and
// that every provenance key the ONNX metadata carries agrees with them. An absent or
// empty metadata value is not checked: older exports did not record every key.
func checkAgreement(st *Statement, card *Card, cardJSON []byte, meta map[string]string) error {
	pairs := []struct{ what, got, want string }{
		{"card.json name", card.Name, st.ModelName},
		{"card.json version", card.Version, st.ModelVersion},
		{"card.json dataset.manifest_sha256", card.Dataset.ManifestSHA256, st.DatasetManifestSHA256},
		{"card.json training.spec_sha256", card.Training.SpecSHA256, st.SpecSHA256},
		{"card.json code_version", card.CodeVersion, st.CodeVersion},
	}
	for _, p := range pairs {
		if p.got != p.want {
			return fmt.Errorf("%w: %s is %q, %s says %q", ErrMismatch, p.what, p.got, StatementFile, p.want)
		}
	}
	for _, m := range []struct{ key, want, source string }{
		{metaSpec, st.SpecSHA256, StatementFile},
		{metaDataset, st.DatasetManifestSHA256, StatementFile},
		{metaCheckpoint, st.CheckpointManifestSHA256, StatementFile},
		{metaCodeVersion, st.CodeVersion, StatementFile},
		{metaArch, card.Architecture, CardFile},
		{metaPositive, card.PositiveClass, CardFile},
		{metaExperiment, card.Experiment, CardFile},
	} {
		got := meta[m.key]
		if got == "" || m.want == "" {
			continue
		}
		if got != m.want {
			return fmt.Errorf("%w: %s metadata %s is %q, %s says %q", ErrMismatch, ONNXFile, m.key, got, m.source, m.want)
		}
	}
	if err := checkMetaList(meta, metaFeatures, card.Features); err != nil {
		return err
	}
	if err := checkMetaList(meta, metaClasses, card.Classes); err != nil {
		return err
	}
	if got, ok := meta[CardMetadataKey]; ok && got != string(cardJSON) {
		return fmt.Errorf("%w: %s metadata %s differs from %s", ErrMismatch, ONNXFile, CardMetadataKey, CardFile)
	}
	return nil
}

// checkMetaList compares a JSON list of names in the metadata with the card's list.
// Names are not echoed: feature names are column headers, but a card is public.
func checkMetaList(meta map[string]string, key string, want []string) error {
	raw := meta[key]
	if raw == "" {
		return nil
	}
	var got []string
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		return fmt.Errorf("%w: %s metadata %s is not a JSON list of strings: %w", ErrMismatch, ONNXFile, key, err)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("%w: %s metadata %s lists %d names, %s lists %d (or they differ in name or order)", ErrMismatch, ONNXFile, key, len(got), CardFile, len(want))
	}
	return nil
}
