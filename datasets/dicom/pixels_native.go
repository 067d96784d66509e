package dicom

import (
	"encoding/binary"
	"fmt"
)

// Native pixel data is decoded here from the bytes of the file the scan
// located it in. The library's decoder reads it one sample at a time
// through an io.Reader, an interface call and a type switch per sample,
// and holds every frame: most of a file's read time went there.
// This decoder reads the first frame only, one loop per sample width and
// byte order, into the samples modality() turns into values exactly as it
// does the library's (TestNativeMatchesLibrary holds the two together).

// nativePixels decodes the first frame of the native value at span.
func nativePixels(data []byte, span nativeSpan, order binary.ByteOrder, a imageAttrs) ([]float64, error) {
	if !span.found {
		return nil, ErrNoPixels
	}
	width := a.bitsAlloc / 8
	switch a.bitsAlloc {
	case 8, 16, 32:
	default:
		// The scan refuses these before the value; this guards the slice.
		return nil, fmt.Errorf("%w: bits allocated %d (want 8, 16 or 32)", ErrUnsupported, a.bitsAlloc)
	}
	want := a.rows * a.cols * a.samples
	if int64(want)*int64(width) > int64(span.length) {
		return nil, fmt.Errorf("%w: frame holds %d bytes, want %d samples of %d", ErrPixelLength, span.length, want, width)
	}
	b := data[span.off : span.off+want*width]
	raw := getSamples(want)
	b = b[:len(raw)*width]
	defer putSamples(raw)
	switch {
	case width == 1:
		for i, v := range b {
			raw[i] = uint32(v)
		}
	case width == 2 && order == binary.LittleEndian:
		for i := range raw {
			raw[i] = uint32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case width == 2:
		for i := range raw {
			raw[i] = uint32(binary.BigEndian.Uint16(b[2*i:]))
		}
	case order == binary.LittleEndian:
		for i := range raw {
			raw[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
	default:
		for i := range raw {
			raw[i] = binary.BigEndian.Uint32(b[4*i:])
		}
	}
	return modality(raw, a), nil
}
