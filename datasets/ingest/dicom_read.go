package ingest

import (
	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/dicom"
	"github.com/dxtrain/dxtrain/datasets/gate"
)

// dicomInstance is what the ingest takes from one DICOM file.
type dicomInstance struct {
	sha256             [32]byte // of the file's bytes, as the reader read and parsed them
	patient            string   // pseudonym; "" when raw
	modality           string
	burnedInAnnotation string
	attrs              []gate.Attribute
	rows, cols         int
	pixels             []float32 // first frame, [0,1], row-major
}

// readDICOM reads the tree under root through package dicom, de-identifying
// each file as it is parsed unless raw, and hands each instance to fn in the
// reader's deterministic order. It returns the files read and their bytes.
func readDICOM(root string, d *deid.DICOM, key []byte, raw bool, fn func(*dicomInstance) error) (files int, bytes int64, err error) {
	opts := dicom.Options{Key: key, Raw: raw, Dates: d.Dates, KeepPrivate: d.KeepPrivate}
	if d.Window != nil {
		opts.Window = &dicom.Window{Center: d.Window.Center, Width: d.Window.Width}
	}
	st, err := dicom.ReadDir(root, opts, func(in *dicom.Instance) error {
		attrs := make([]gate.Attribute, len(in.Attributes))
		for i, a := range in.Attributes {
			attrs[i] = gate.Attribute{Tag: a.Tag, Keyword: a.Keyword, VR: a.VR, Value: a.Value}
		}
		return fn(&dicomInstance{sha256: in.SHA256, patient: in.Patient, modality: in.Modality, burnedInAnnotation: in.BurnedInAnnotation,
			attrs: attrs, rows: in.Rows, cols: in.Cols, pixels: in.Pixels})
	})
	return st.Files, st.Bytes, err
}
