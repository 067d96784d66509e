package release

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// TestStatementBytesDeterministic: the same statement always encodes to the same bytes,
// whatever the map order, and those bytes are compact JSON with one final newline.
func TestStatementBytesDeterministic(t *testing.T) {
	st := testStatement()
	st.ONNXSHA256, st.CardSHA256, st.ApproverKey = hashOf("onnx"), hashOf("card"), "0123456789abcdef"
	first, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		again := st
		again.Metrics = map[string]float64{}
		for k, v := range st.Metrics { // a fresh map, built in random order
			again.Metrics[k] = v
		}
		b, err := again.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("encoding %d differs:\n%s\n%s", i, b, first)
		}
	}
	want := `{"schema":"dxtrain.provenance-statement.v1","model_name":"wdbc-malignancy","model_version":"1",` +
		`"onnx_sha256":"` + hashOf("onnx") + `","card_sha256":"` + hashOf("card") + `",` +
		`"checkpoint_manifest_sha256":"` + checkpointHash + `","dataset_manifest_sha256":"` + datasetHash + `",` +
		`"spec_sha256":"` + specHash + `","code_version":"v0.1.0","metrics":{"test_accuracy":0.965,"test_auroc":0.991},` +
		`"approver":"Dr A. Approver \u003cvalidator@example.org\u003e","approver_key":"0123456789abcdef",` +
		`"created_at":"2026-11-25T13:00:00Z"}` + "\n"
	if string(first) != want {
		t.Fatalf("canonical bytes changed:\n got %s\nwant %s", first, want)
	}
	parsed, err := ParseStatement(first)
	if err != nil {
		t.Fatalf("parse own encoding: %v", err)
	}
	if again, _ := parsed.Encode(); !bytes.Equal(again, first) {
		t.Fatal("parse and encode is not the identity")
	}
}

func TestStatementValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Statement)
		inText string
	}{
		{"schema", func(s *Statement) { s.Schema = "v0" }, "schema"},
		{"name with slash", func(s *Statement) { s.ModelName = "a/b" }, "model_name"},
		{"name with at", func(s *Statement) { s.ModelName = "a@1" }, "model_name"},
		{"empty version", func(s *Statement) { s.ModelVersion = "" }, "model_version"},
		{"upper-case hash", func(s *Statement) { s.SpecSHA256 = strings.ToUpper(specHash) }, "spec_sha256"},
		{"short hash", func(s *Statement) { s.CheckpointManifestSHA256 = "abc" }, "checkpoint_manifest_sha256"},
		{"no metrics", func(s *Statement) { s.Metrics = nil }, "metrics"},
		{"nan metric", func(s *Statement) { s.Metrics["auroc"] = math.NaN() }, "metrics[auroc]"},
		{"bad metric key", func(s *Statement) { s.Metrics["a b"] = 1 }, "metrics key"},
		{"no approver", func(s *Statement) { s.Approver = "" }, "approver"},
		{"approver newline", func(s *Statement) { s.Approver = "a\nb" }, "approver"},
		{"bad key", func(s *Statement) { s.ApproverKey = "XYZ" }, "approver_key"},
		{"no time", func(s *Statement) { s.CreatedAt = time.Time{} }, "created_at"},
		{"not utc", func(s *Statement) { s.CreatedAt = created.In(time.FixedZone("x", 3600)) }, "UTC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := testStatement()
			st.ONNXSHA256, st.CardSHA256, st.ApproverKey = hashOf("onnx"), hashOf("card"), "0123456789abcdef"
			if err := st.Validate(); err != nil {
				t.Fatalf("valid statement refused: %v", err)
			}
			st.Metrics = map[string]float64{"test_auroc": 0.9}
			tc.change(&st)
			err := st.Validate()
			if !errors.Is(err, ErrInvalidStatement) || !strings.Contains(err.Error(), tc.inText) {
				t.Fatalf("got %v, want ErrInvalidStatement naming %s", err, tc.inText)
			}
		})
	}
}

// TestParseRefusesNonCanonical: JSON that decodes to a valid statement but is not the
// canonical bytes is refused, so what was signed is exactly what was understood.
func TestParseRefusesNonCanonical(t *testing.T) {
	st := testStatement()
	st.ONNXSHA256, st.CardSHA256, st.ApproverKey = hashOf("onnx"), hashOf("card"), "0123456789abcdef"
	good, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	cases := map[string]string{
		"no newline":     strings.TrimSuffix(s, "\n"),
		"two newlines":   s + "\n",
		"indented":       strings.Replace(s, `{"schema"`, "{\n  \"schema\"", 1),
		"duplicate key":  strings.Replace(s, `{"schema"`, `{"model_name":"x","schema"`, 1),
		"case-folded":    strings.Replace(s, `"model_name"`, `"MODEL_NAME"`, 1),
		"unknown field":  strings.Replace(s, `{"schema"`, `{"extra":1,"schema"`, 1),
		"number form":    strings.Replace(s, `0.965`, `9.65e-1`, 1),
		"offset time":    strings.Replace(s, `13:00:00Z`, `13:00:00+00:00`, 1),
		"escaped <":      strings.Replace(s, `\u003c`, `<`, 1),
		"trailing value": s + "{}",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseStatement([]byte(in)); !errors.Is(err, ErrInvalidStatement) {
				t.Fatalf("got %v, want ErrInvalidStatement", err)
			}
		})
	}
}
