package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/onnx"
)

// TestPredictOnImagesNPZ runs an exported CNN on the test images of a MedMNIST-layout
// archive and checks every probability against the Go forward pass.
func TestPredictOnImagesNPZ(t *testing.T) {
	dir := t.TempDir()
	net, params, modelPath := exportImageCNN(t, dir, 5)
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
	checkImagePredictions(t, net, params, pixels, n, "--model", modelPath, "--input", npzPath)
}

// TestPredictOnIDXImages runs the same kind of model on an IDX images file, MNIST's
// format, which datasets ingest reads (gzipped or not).
func TestPredictOnIDXImages(t *testing.T) {
	dir := t.TempDir()
	net, params, modelPath := exportImageCNN(t, dir, 9)
	const n = 4
	pixels := make([]byte, n*64)
	for i := range pixels {
		pixels[i] = byte((i*53 + 11) % 256)
	}
	idx := append([]byte{0, 0, 0x08, 3, 0, 0, 0, n, 0, 0, 0, 8, 0, 0, 0, 8}, pixels...)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(idx)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"test-images-idx3-ubyte": idx, "test-images-idx3-ubyte.gz": gz.Bytes()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		checkImagePredictions(t, net, params, pixels, n, "--model", modelPath, "--input", path)
	}
	wrong := filepath.Join(dir, "wrong-ubyte")
	if err := os.WriteFile(wrong, []byte{0, 0, 0x08, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := dxtrain(t, "predict", "--model", modelPath, "--input", wrong); err == nil || !strings.Contains(out+err.Error(), "the model takes 64 values") {
		t.Fatalf("images of the wrong size: %v\n%s", err, out)
	}
}

// exportImageCNN exports a small CNN for 1×8×8 images in three classes to dir.
func exportImageCNN(t *testing.T, dir string, seed uint64) (models.Network, []*models.Param, string) {
	t.Helper()
	net, err := models.NewNetwork(models.Options{Architecture: "cnn", InputShape: []int{1, 8, 8}, Hidden: []int{16}, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	params := models.InitParams(net, seed)
	model, err := onnx.Export(net, params, nil, map[string]string{"dxtrain.classes": `["a","b","c"]`, "dxtrain.features": `[]`})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cnn.onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	return net, params, path
}

// checkImagePredictions runs predict with args and checks every probability against
// the Go forward pass of net on pixels (uint8, scaled to [0, 1]).
func checkImagePredictions(t *testing.T, net models.Network, params []*models.Param, pixels []byte, n int, args ...string) {
	t.Helper()
	out, err := dxtrain(t, append([]string{"predict", "--json"}, args...)...)
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
