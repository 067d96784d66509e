package synth

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/datasets/readers"
)

// LesionsSpecFile is the name of the ingest spec WriteLesions puts beside
// the images.
const LesionsSpecFile = "lesions-ingest.yaml"

// LesionsIngestSpecYAML is the ingest spec for a directory written by
// WriteLesions. It lives inside that directory (input.path ".") so the
// directory can be moved or renamed as a whole. There are no columns to
// declare: IDX input is pixels and class indices, which the gate checks by
// name and label only.
const LesionsIngestSpecYAML = `# Ingest spec for the synthetic lesion images of datasets/synth
# (dxtrain datasets synth --images); it sits in the images' directory.
#   dxtrain datasets ingest --local DIR/lesions-ingest.yaml
name: lesions
description: Synthetic grayscale skin-lesion patches (datasets/synth), benign or malignant; no patient data
input:
  path: . # this directory: train-images-idx3-ubyte and train-labels-idx1-ubyte
  format: idx
label:
  classes: ["benign", "malignant"]
k: 10
`

// WriteLesions generates n lesion images from seed and writes them to dir
// as an MNIST-style IDX pair (uint8 images [n, 28, 28], uint8 labels [n];
// no t10k files, so ingest makes a stratified split) with
// LesionsIngestSpecYAML beside them. It returns the spec's path.
func WriteLesions(dir string, n int, seed uint64) (string, error) {
	if n < 2 {
		return "", fmt.Errorf("synth lesions: %d images, want at least 2 (one of each class)", n)
	}
	l := GenerateLesions(n, seed)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("synth lesions: %w", err)
	}
	files := []struct {
		name string
		dims []int
		data []byte
	}{
		{"train-images-idx3-ubyte", []int{n, LesionSide, LesionSide}, l.Pixels},
		{"train-labels-idx1-ubyte", []int{n}, l.Labels},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), idxUint8(f.dims, f.data), 0o644); err != nil {
			return "", fmt.Errorf("synth lesions: %w", err)
		}
	}
	spec := filepath.Join(dir, LesionsSpecFile)
	if err := os.WriteFile(spec, []byte(LesionsIngestSpecYAML), 0o644); err != nil {
		return "", fmt.Errorf("synth lesions: %w", err)
	}
	return spec, nil
}

// idxUint8 encodes an IDX file of unsigned bytes: magic 0x00000800 | ndims,
// big-endian uint32 dimensions, then the data.
func idxUint8(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, readers.IDXUint8, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}
