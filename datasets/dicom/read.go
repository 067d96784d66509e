package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Instance is one image file read.
type Instance struct {
	Path               string // relative to the root given to ReadDir, slash-separated
	Patient            string // pseudonymous patient ID (deid.Pseudonymiser of PatientID, 32 hex); Raw: ""
	Study, Series, SOP string // (remapped) UIDs
	Modality           string
	BurnedInAnnotation string      // the attribute's value, "" when absent
	Attributes         []Attribute // sorted by tag
	Rows, Cols         int
	Pixels             []float32 // the first frame, one channel, rescaled and windowed into [0,1], row-major
}

// loadFile reads a whole file after checking its size against the limit,
// so that nothing later can allocate more than the file holds.
func loadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: grew past %d bytes while read", ErrTooLarge, limit)
	}
	return data, nil
}

// parse scans data and, when the scan passes, parses it with the library.
// A panic in the library (none is known past the scan) is an error.
func parse(data []byte) (ds dcm.Dataset, err error) {
	if _, err := scanFile(data); err != nil {
		return ds, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the DICOM parser failed", ErrMalformed)
		}
	}()
	ds, err = dcm.Parse(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return ds, fmt.Errorf("%w: the DICOM parser refused it (%s)", ErrMalformed, libReason(err))
	}
	return ds, nil
}

// libReason names a library error by its sentinel: the library's messages
// may quote element values, so they are not passed on.
func libReason(err error) string {
	for _, s := range []struct {
		err  error
		name string
	}{
		{dcm.ErrorMagicWord, "no DICM magic word"},
		{dcm.ErrorMetaElementGroupLength, "meta element group length"},
		{dcm.ErrorMismatchPixelDataLength, "pixel data length"},
		{dcm.ErrorOWRequiresEvenVL, "OW of odd length"},
		{dcm.ErrorUnsupportedVR, "unsupported VR"},
		{dcm.ErrorUnsupportedBitsAllocated, "unsupported bits allocated"},
		{dcm.ErrorExpectedEvenLength, "odd length"},
		{dcm.ErrorExpectedDefinedLength, "undefined length"},
		{dcm.ErrorExpectedSequenceDelimitation, "missing sequence delimiter"},
		{io.ErrUnexpectedEOF, "truncated"},
		{io.EOF, "truncated"},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "malformed element"
}

// readFile reads, checks and (unless Raw) de-identifies one file. rel names
// it in errors.
func (s *settings) readFile(path, rel string) (*Instance, int64, error) {
	data, err := loadFile(path, s.MaxFileBytes)
	if err != nil {
		return nil, 0, err
	}
	inst, err := s.readBytes(data, rel)
	return inst, int64(len(data)), err
}

// readBytes is readFile on the bytes of a file.
func (s *settings) readBytes(data []byte, rel string) (*Instance, error) {
	ds, err := parse(data)
	if err != nil {
		return nil, err
	}
	if _, ok := pixelFrames(ds.Elements); !ok {
		return nil, ErrNoPixels
	}
	a, err := readImageAttrs(ds.Elements)
	if err != nil {
		return nil, err
	}
	vals, err := pixels(ds.Elements, a)
	if err != nil {
		return nil, err
	}
	inst := &Instance{Path: rel, Rows: a.rows, Cols: a.cols,
		Pixels: normalise(vals, s.Window, a.photometric == "MONOCHROME1")}
	if !s.Raw {
		if err := s.deidentify(&ds); err != nil {
			return nil, err
		}
		inst.Patient = firstString(ds.Elements, tag.PatientID)
	}
	inst.Study = strings.TrimRight(firstString(ds.Elements, tag.StudyInstanceUID), " \x00")
	inst.Series = strings.TrimRight(firstString(ds.Elements, tag.SeriesInstanceUID), " \x00")
	inst.SOP = strings.TrimRight(firstString(ds.Elements, tag.SOPInstanceUID), " \x00")
	inst.Modality = firstString(ds.Elements, tag.Modality)
	inst.BurnedInAnnotation = firstString(ds.Elements, tag.BurnedInAnnotation)
	inst.Attributes = attributes(ds.Elements)
	return inst, nil
}
