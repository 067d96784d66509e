package onnx

import (
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/models"
)

// FuzzReadMetadata: ReadMetadata never panics, and either returns metadata or an error
// wrapping ErrInvalidModel.
func FuzzReadMetadata(f *testing.F) {
	net, err := models.NewNetwork(models.Options{Architecture: "logreg", InputShape: []int{3}, Classes: 2})
	if err != nil {
		f.Fatal(err)
	}
	model, err := Export(net, models.InitParams(net, 1), &models.Preprocess{Mean: []float32{1, 2, 3}, Std: []float32{1, 2, 3}}, map[string]string{"model_name": "x", "metrics": "{}"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(model)
	f.Add(model[:len(model)/2])
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x08})
	f.Add([]byte{0x08, 0x08, 0x3a, 0x00})                         // ir 8, empty graph
	f.Add([]byte{0x08, 0x08, 0x3a, 0x00, 0x72, 0x02, 0x0a, 0x00}) // plus a prop with an empty key
	f.Add([]byte("not a model"))
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, err := ReadMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("error %v does not wrap ErrInvalidModel", err)
			}
			if meta != nil {
				t.Fatal("metadata returned with an error")
			}
		}
	})
}
