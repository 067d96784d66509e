package dicom

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"strconv"
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// maxEncapsulatedPixels bounds a compressed frame, whose decoded size the
// file size does not bound: 8192 × 8192.
const maxEncapsulatedPixels = 1 << 26

// maxJPEGRatio bounds pixels per byte of a compressed frame: a baseline
// JPEG spends at least a few bits on each 8×8 block, so a frame claiming
// more pixels than this many per byte is a decompression bomb, refused
// before the decoder allocates.
const maxJPEGRatio = 512

// imageAttrs are the attributes that turn stored values into pixels.
type imageAttrs struct {
	rows, cols, samples, bitsAlloc, bitsStored int
	signed                                     bool
	planar                                     bool
	photometric                                string
	slope, intercept                           float64
}

func readImageAttrs(elems []*dcm.Element) (imageAttrs, error) {
	a := imageAttrs{slope: 1}
	a.rows, _ = firstInt(elems, tag.Rows)
	a.cols, _ = firstInt(elems, tag.Columns)
	a.samples, _ = firstInt(elems, tag.SamplesPerPixel)
	a.bitsAlloc, _ = firstInt(elems, tag.BitsAllocated)
	var ok bool
	if a.bitsStored, ok = firstInt(elems, tag.BitsStored); !ok || a.bitsStored < 1 || a.bitsStored > a.bitsAlloc {
		a.bitsStored = a.bitsAlloc
	}
	rep, _ := firstInt(elems, tag.PixelRepresentation)
	a.signed = rep == 1
	pc, _ := firstInt(elems, tag.PlanarConfiguration)
	a.planar = pc == 1
	a.photometric = strings.TrimSpace(firstString(elems, tag.PhotometricInterpretation))
	if v, err := parseDS(firstString(elems, tag.RescaleSlope)); err == nil && v != 0 {
		a.slope = v
	}
	if v, err := parseDS(firstString(elems, tag.RescaleIntercept)); err == nil {
		a.intercept = v
	}
	if a.rows < 1 || a.cols < 1 {
		return a, fmt.Errorf("%w: image of %d×%d pixels", ErrMalformed, a.rows, a.cols)
	}
	switch a.photometric {
	case "MONOCHROME1", "MONOCHROME2":
		if a.samples != 1 {
			return a, fmt.Errorf("%w: %s with %d samples per pixel", ErrMalformed, a.photometric, a.samples)
		}
	case "RGB", "YBR_FULL", "YBR_FULL_422":
		if a.samples != 3 {
			return a, fmt.Errorf("%w: %s with %d samples per pixel", ErrMalformed, a.photometric, a.samples)
		}
	default:
		return a, fmt.Errorf("%w: photometric interpretation %q", ErrUnsupported, safeCS(a.photometric))
	}
	return a, nil
}

// safeCS returns a code string for an error only if it looks like one
// (upper-case letters, digits, underscore, space; at most 16).
func safeCS(s string) string {
	if len(s) > 16 {
		return "not a code string"
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ' ') {
			return "not a code string"
		}
	}
	return s
}

func parseDS(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return 0, fmt.Errorf("not finite")
	}
	return v, err
}

// firstFrame returns the first frame's pixel data element's frames.
func pixelFrames(elems []*dcm.Element) (dcm.PixelDataInfo, bool) {
	for _, e := range elems {
		if e.Tag == tag.PixelData && e.Value != nil {
			if p, ok := e.Value.GetValue().(dcm.PixelDataInfo); ok {
				return p, true
			}
		}
	}
	return dcm.PixelDataInfo{}, false
}

// pixels converts the first frame, as the library decoded it, to one
// channel of modality values (after rescale), row-major. The slice comes
// from getValues.
func pixels(elems []*dcm.Element, a imageAttrs) ([]float64, error) {
	info, ok := pixelFrames(elems)
	if !ok || len(info.Frames) == 0 || info.Frames[0] == nil {
		return nil, ErrNoPixels
	}
	f := info.Frames[0]
	n := a.rows * a.cols
	if f.Encapsulated && (n > maxEncapsulatedPixels || n > maxJPEGRatio*len(f.EncapsulatedData.Data)+1<<20) {
		return nil, fmt.Errorf("%w: compressed frame of %d×%d pixels in %d bytes", ErrTooLarge, a.rows, a.cols, len(f.EncapsulatedData.Data))
	}
	if f.Encapsulated {
		out := getValues(n)
		if err := decodeJPEG(f.EncapsulatedData.Data, a, out); err != nil {
			putValues(out)
			return nil, err
		}
		return out, nil
	}
	raw, err := rawSamples(f.NativeData, n*a.samples)
	if err != nil {
		return nil, err
	}
	return modality(raw, a), nil
}

// modality turns stored samples (samples per pixel interleaved, or planes
// when planar) into modality values: masked to Bits Stored, sign-extended,
// reduced to one channel, rescaled. Both decoders of native pixel data end
// here, so they agree to the bit. The slice comes from getValues.
func modality(raw []uint32, a imageAttrs) []float64 {
	n := a.rows * a.cols
	out := getValues(n)
	// Bits Stored (at most Bits Allocated, at most 32) shifted to the top
	// and back, arithmetically when signed, masks the stored bits and
	// sign-extends them without a branch.
	shift := uint(32 - min(a.bitsStored, 32))
	value := func(i int) float64 {
		if a.signed {
			return float64(int32(raw[i]<<shift) >> shift)
		}
		return float64(raw[i] << shift >> shift)
	}
	if a.samples == 1 {
		slope, intercept := a.slope, a.intercept
		raw := raw[:len(out)]
		if a.signed {
			for i, r := range raw {
				out[i] = float64(int32(r<<shift)>>shift)*slope + intercept
			}
		} else {
			for i, r := range raw {
				out[i] = float64(r<<shift>>shift)*slope + intercept
			}
		}
		return out
	}
	for i := range out {
		var c [3]float64
		for k := 0; k < 3; k++ {
			if a.planar {
				c[k] = value(k*n + i)
			} else {
				c[k] = value(i*3 + k)
			}
		}
		out[i] = luminance(c, a.photometric)*a.slope + a.intercept
	}
	return out
}

// luminance is Rec. 601 luma of RGB, or Y itself of YBR.
func luminance(c [3]float64, photometric string) float64 {
	if strings.HasPrefix(photometric, "YBR") {
		return c[0]
	}
	return 0.299*c[0] + 0.587*c[1] + 0.114*c[2]
}

// rawSamples returns the frame's stored samples as uint32, checking the
// count (the scan checked the length; this guards the library's layout).
// The library holds 8, 16 and 32-bit samples as such, and ints only for
// 1-bit ones, which the scan refuses.
func rawSamples(nf frame.INativeFrame, want int) ([]uint32, error) {
	if nf == nil {
		return nil, ErrNoPixels
	}
	var out []uint32
	switch d := nf.RawDataSlice().(type) {
	case []uint8:
		out = widen(d)
	case []uint16:
		out = widen(d)
	case []uint32:
		out = widen(d)
	case []int:
		out = widen(d)
	default:
		return nil, fmt.Errorf("%w: native frame of %T", ErrUnsupported, d)
	}
	if len(out) != want {
		return nil, fmt.Errorf("%w: frame holds %d samples, want %d", ErrPixelLength, len(out), want)
	}
	return out, nil
}

func widen[T uint8 | uint16 | uint32 | int](d []T) []uint32 {
	out := make([]uint32, len(d))
	for i, v := range d {
		out[i] = uint32(v)
	}
	return out
}

// decodeJPEG decodes a baseline JPEG frame into out after checking its
// declared size against Rows and Columns, before the decoder allocates.
func decodeJPEG(data []byte, a imageAttrs, out []float64) error {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: JPEG baseline frame header: %v", ErrMalformed, err)
	}
	if cfg.Width != a.cols || cfg.Height != a.rows {
		return fmt.Errorf("%w: JPEG frame is %d×%d, attributes say %d×%d", ErrPixelLength, cfg.Width, cfg.Height, a.cols, a.rows)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: JPEG baseline frame: %v", ErrMalformed, err)
	}
	b := img.Bounds()
	for y := 0; y < a.rows; y++ {
		for x := 0; x < a.cols; x++ {
			var v float64
			switch m := img.(type) {
			case *image.Gray:
				v = float64(m.GrayAt(b.Min.X+x, b.Min.Y+y).Y)
			case *image.YCbCr:
				v = float64(m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)])
			default:
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				v = luminance([3]float64{float64(r >> 8), float64(g >> 8), float64(bl >> 8)}, "RGB")
			}
			out[y*a.cols+x] = v*a.slope + a.intercept
		}
	}
	return nil
}

// normalise maps modality values to [0,1]: by the window (VOI LUT linear,
// PS3.3 C.11.2.1.2) or the min–max of the frame, then inverts MONOCHROME1.
// Both are one linear map clipped to [0,1]: scale·x + offset.
func normalise(v []float64, w *Window, invert bool) []float32 {
	out := make([]float32, len(v))
	var lo, hi, scale, offset float64
	if w != nil {
		c, width := w.Center, w.Width
		lo, hi = c-0.5-(width-1)/2, c-0.5+(width-1)/2
		if width > 1 {
			scale = 1 / (width - 1)
		}
		offset = 0.5 - (c-0.5)*scale
	} else if len(v) > 0 {
		lo, hi = v[0], v[0]
		for _, x := range v {
			if x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
		if hi > lo {
			scale = 1 / (hi - lo)
		}
		offset = -lo * scale
	}
	// One loop per case, the same arithmetic as one loop with the tests
	// inside: the loops run over every pixel of every file.
	v = v[:len(out)]
	switch {
	case w != nil && invert:
		for i, x := range v {
			out[i] = float32(1 - windowed(x, lo, hi, scale, offset))
		}
	case w != nil:
		for i, x := range v {
			out[i] = float32(windowed(x, lo, hi, scale, offset))
		}
	case invert:
		for i, x := range v {
			out[i] = float32(1 - clamp01(scale*x+offset))
		}
	default:
		for i, x := range v {
			out[i] = float32(clamp01(scale*x + offset))
		}
	}
	return out
}

// windowed is the window's map of x: 0 at or below lo, 1 above hi.
func windowed(x, lo, hi, scale, offset float64) float64 {
	switch {
	case x <= lo:
		return 0
	case x > hi:
		return 1
	}
	return clamp01(scale*x + offset)
}

// clamp01 clips y to [0,1], NaN to 0.
func clamp01(y float64) float64 {
	if y < 0 || y != y {
		return 0
	} else if y > 1 {
		return 1
	}
	return y
}
