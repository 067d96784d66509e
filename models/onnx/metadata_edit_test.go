package onnx

import (
	"errors"
	"testing"
)

func TestWithMetadataAndReadProducer(t *testing.T) {
	net, params, pre := fixtures()[0].build(t, 1)
	model := mustExport(t, net, params, pre, map[string]string{"a": "1", "b": "2"})
	out, err := WithMetadata(model, map[string]string{"b": "two", "card": "{}"})
	if err != nil {
		t.Fatal(err)
	}
	meta, err := ReadMetadata(out)
	if err != nil || meta["a"] != "1" || meta["b"] != "two" || meta["card"] != "{}" || len(meta) != 3 {
		t.Fatalf("metadata %v, %v", meta, err)
	}
	if name, _, err := ReadProducer(out); err != nil || name != Producer {
		t.Fatalf("producer %q, %v", name, err)
	}
	if _, err := WithMetadata([]byte("not a model"), nil); !errors.Is(err, ErrInvalidModel) {
		t.Fatalf("a non-model: %v", err)
	}
}
