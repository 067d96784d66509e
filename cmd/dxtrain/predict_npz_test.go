package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/onnx"
)

// TestPredictOnImagesNPZ runs an exported CNN on the test images of a MedMNIST-layout
// archive and checks every probability against the Go forward pass.
func TestPredictOnImagesNPZ(t *testing.T) {
	dir := t.TempDir()
	net, err := models.NewNetwork(models.Options{Architecture: "cnn", InputShape: []int{1, 8, 8}, Hidden: []int{16}, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	params := models.InitParams(net, 5)
	model, err := onnx.Export(net, params, nil, map[string]string{"dxtrain.classes": `["a","b","c"]`, "dxtrain.features": `[]`})
	if err != nil {
		t.Fatal(err)
	}
	modelPath := filepath.Join(dir, "cnn.onnx")
	if err := os.WriteFile(modelPath, model, 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 5
	pixels := make([]byte, n*64)
	for i := range pixels {
		pixels[i] = byte((i*37 + i/7) % 256)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, member := range map[string][]byte{
		"train_images.npy": testutil.NPY("|u1", []int{n, 8, 8}, pixels), "train_labels.npy": testutil.NPY("|u1", []int{n, 1}, make([]byte, n)),
		"val_images.npy": testutil.NPY("|u1", []int{n, 8, 8}, pixels), "val_labels.npy": testutil.NPY("|u1", []int{n, 1}, make([]byte, n)),
		"test_images.npy": testutil.NPY("|u1", []int{n, 8, 8}, pixels), "test_labels.npy": testutil.NPY("|u1", []int{n, 1}, make([]byte, n)),
	} {
		w, _ := zw.Create(name)
		_, _ = w.Write(member)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	npzPath := filepath.Join(dir, "images.npz")
	if err := os.WriteFile(npzPath, zb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := dxtrain(t, "predict", "--model", modelPath, "--input", npzPath, "--json")
	if err != nil {
		t.Fatalf("predict: %v\n%s", err, out)
	}
	var preds []Prediction
	if err := json.Unmarshal([]byte(out), &preds); err != nil {
		t.Fatalf("predict --json: %v\n%s", err, out)
	}
	x := make([]float32, len(pixels))
	for i, p := range pixels {
		x[i] = float32(p) / 255
	}
	want, err := models.Infer(net, params, x, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) != n {
		t.Fatalf("%d predictions for %d images", len(preds), n)
	}
	for i, p := range preds {
		for c, name := range []string{"a", "b", "c"} {
			if d := math.Abs(float64(p.Probabilities[name] - want[i*3+c])); d > 1e-4 {
				t.Fatalf("image %d class %s: ONNX Runtime %g, Go %g", i, name, p.Probabilities[name], want[i*3+c])
			}
		}
	}
}
