package dicom

import (
	"bytes"
	"crypto/sha256"
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
	// SHA256 is the hash of the file's bytes as read and parsed (ReadDir),
	// so that a caller recording its input's hash reads each file once and
	// hashes exactly what it ingested.
	SHA256 [sha256.Size]byte
}

// loadFile reads a whole file after checking its size against the limit,
// so that nothing later can allocate more than the file holds. The buffer
// is sized by the file (io.ReadAll would grow and copy it a dozen times)
// and may come from the pool; see readFile for its return.
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
	// One byte past the size tells a file that grew since Stat.
	buf := getFileBuf(int(info.Size()) + 1)
	n, err := io.ReadFull(f, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(io.LimitReader(f, limit+1-int64(n)))
	if err != nil {
		return nil, err
	}
	data := append(buf, rest...)
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: grew past %d bytes while read", ErrTooLarge, limit)
	}
	return data, nil
}

// parse scans data and, when the scan passes, parses it with the library.
// A panic in the library (none is known past the scan) is an error.
func parse(data []byte) (dcm.Dataset, error) {
	ds, _, err := parseScanned(data, false)
	return ds, err
}

// parseScanned is parse that also returns the scan's result. With
// skipNative, a native transfer syntax's pixel data is left to the caller
// (the library would copy it sample by sample, most of a file's parse
// time): the Pixel Data element is kept, with no frames.
func parseScanned(data []byte, skipNative bool) (ds dcm.Dataset, res scanResult, err error) {
	if res, err = scanFile(data); err != nil {
		return ds, res, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the DICOM parser failed", ErrMalformed)
		}
	}()
	var opts []dcm.ParseOption
	if skipNative && !res.syntax.encapsulated {
		opts = append(opts, dcm.SkipPixelData())
	}
	ds, err = dcm.Parse(bytes.NewReader(data), int64(len(data)), nil, opts...)
	if err != nil {
		return ds, res, fmt.Errorf("%w: the DICOM parser refused it (%s)", ErrMalformed, libReason(err))
	}
	return ds, res, nil
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
	// Nothing read from data aliases it (the library, the pixel decoders
	// and the attributes copy), so its buffer serves the next file.
	defer putFileBuf(data)
	inst, err := s.readBytes(data, rel)
	if inst != nil {
		inst.SHA256 = sha256.Sum256(data)
	}
	return inst, int64(len(data)), err
}

// readBytes is readFile on the bytes of a file. Native pixel data is
// decoded from data directly (pixels_native.go); readLibrary is the same
// read with the library's decoding, which the tests hold it to.
func (s *settings) readBytes(data []byte, rel string) (*Instance, error) {
	return s.read(data, rel, true)
}

// readLibrary is readBytes with every pixel decoded by the library.
func (s *settings) readLibrary(data []byte, rel string) (*Instance, error) {
	return s.read(data, rel, false)
}

func (s *settings) read(data []byte, rel string, fast bool) (*Instance, error) {
	ds, res, err := parseScanned(data, fast)
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
	var vals []float64
	if fast && !res.syntax.encapsulated {
		vals, err = nativePixels(data, res.pixels, res.syntax.order, a)
	} else {
		vals, err = pixels(ds.Elements, a)
	}
	if err != nil {
		return nil, err
	}
	inst := &Instance{Path: rel, Rows: a.rows, Cols: a.cols,
		Pixels: normalise(vals, s.Window, a.photometric == "MONOCHROME1")}
	putValues(vals)
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
