package onnx

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// checkRuntimeMetadata checks that ONNX Runtime itself reads meta from model.
func checkRuntimeMetadata(model []byte, meta map[string]string) error {
	if err := initRuntime(); err != nil {
		return err
	}
	md, err := ort.GetModelMetadataWithONNXData(model)
	if err != nil {
		return fmt.Errorf("onnx runtime metadata: %w", err)
	}
	defer md.Destroy()
	if p, err := md.GetProducerName(); err != nil || p != Producer {
		return fmt.Errorf("onnx runtime producer %q, %v", p, err)
	}
	for k, want := range meta {
		got, ok, err := md.LookupCustomMetadataMap(k)
		if err != nil || !ok || got != want {
			return fmt.Errorf("onnx runtime metadata %q = %q (present %v, err %v), want %q", k, got, ok, err, want)
		}
	}
	return nil
}
