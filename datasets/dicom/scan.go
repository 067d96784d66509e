package dicom

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// The structural scan walks the encoding of a whole file held in memory
// before the library parses it. The library trusts declared lengths (it
// allocates a value's length before reading it, asserts sequence contents
// are items, indexes the first value of Rows or BitsAllocated without a
// check), so a 4 GB length field or a misplaced element would be a giant
// allocation or a panic. The scan checks every length against the bytes
// that remain, that sequences hold only items and end with their
// delimiters, that the attributes sizing native pixel data are well formed
// and agree with its length, and finds the transfer syntax so unsupported
// ones are refused by name before any decoding.

const (
	maxDepth  = 16      // nesting of sequences; real files use 3 or 4
	maxFrames = 1 << 16 // frames declared by NumberOfFrames
)

// scanResult is what the scan learns on the way.
type scanResult struct {
	syntaxUID string
	syntax    syntax
	// pixels is the value of the first top-level native Pixel Data
	// element: the image is decoded from the file's bytes here rather than
	// from the library's per-sample copy (pixels_native.go).
	pixels nativeSpan
}

// nativeSpan locates a native Pixel Data value in the file.
type nativeSpan struct {
	found       bool
	off, length int
}

type scanner struct {
	data   []byte
	sx     syntax
	pixels nativeSpan
}

// scanFile checks data (a whole file) and returns its transfer syntax.
// errNotDICOM means no "DICM" at offset 128.
func scanFile(data []byte) (scanResult, error) {
	var res scanResult
	if len(data) < 132 || string(data[128:132]) != "DICM" {
		return res, errNotDICOM
	}
	meta := &scanner{data: data, sx: syntax{order: binary.LittleEndian}}
	pos := 132
	// (0002,0000) UL 4 must come first: the library needs the meta length.
	g, e, vr, vl, hdr, err := meta.header(pos, len(data))
	if err != nil {
		return res, err
	}
	if g != 2 || e != 0 || vr != "UL" || vl != 4 || len(data)-pos-hdr < 4 {
		return res, fmt.Errorf("%w: file meta information group length (0002,0000) missing or not UL of 4 bytes", ErrMalformed)
	}
	metaLen := int64(binary.LittleEndian.Uint32(data[pos+hdr:]))
	pos += hdr + 4
	if metaLen > int64(len(data)-pos) {
		return res, fmt.Errorf("%w: file meta information length %d exceeds the file", ErrMalformed, metaLen)
	}
	metaEnd := pos + int(metaLen)
	for pos < metaEnd {
		g, e, vr, vl, hdr, err := meta.header(pos, metaEnd)
		if err != nil {
			return res, fmt.Errorf("file meta information: %w", err)
		}
		if g != 2 {
			return res, fmt.Errorf("%w: element (%04X,%04X) inside the file meta information", ErrMalformed, g, e)
		}
		if vl == undefinedLength || int64(vl) > int64(metaEnd-pos-hdr) {
			return res, fmt.Errorf("%w: (0002,%04X) length %d exceeds the file meta information", ErrMalformed, e, vl)
		}
		if e == 0x0010 {
			if vr != "UI" {
				return res, fmt.Errorf("%w: transfer syntax UID (0002,0010) has VR %q, want UI", ErrMalformed, vr)
			}
			res.syntaxUID = strings.TrimRight(string(data[pos+hdr:pos+hdr+int(vl)]), " \x00")
		}
		pos += hdr + int(vl)
	}
	if res.syntaxUID == "" {
		return res, fmt.Errorf("%w: no transfer syntax UID (0002,0010)", ErrMalformed)
	}
	sx, err := lookupSyntax(res.syntaxUID)
	if err != nil {
		return res, err
	}
	res.syntax = sx
	s := &scanner{data: data, sx: sx}
	end, err := s.dataset(pos, len(data), false, 0)
	if err != nil {
		return res, err
	}
	if end != len(data) {
		return res, fmt.Errorf("%w: data set ends at byte %d of %d", ErrMalformed, end, len(data))
	}
	res.pixels = s.pixels
	return res, nil
}

const undefinedLength = 0xFFFFFFFF

// longVRs take a 2-byte reserved field and a 4-byte length in explicit VR.
var longVRs = map[string]bool{"OB": true, "OD": true, "OF": true, "OL": true, "OV": true, "OW": true,
	"SQ": true, "SV": true, "UC": true, "UN": true, "UR": true, "UT": true, "UV": true}

// header reads the element header at pos: tag, VR (implicit: from the
// dictionary as the library does), length and the header's size.
func (s *scanner) header(pos, end int) (group, elem uint16, vr string, vl uint32, size int, err error) {
	d := s.data
	if end-pos < 8 {
		return 0, 0, "", 0, 0, fmt.Errorf("%w: truncated element header at byte %d", ErrMalformed, pos)
	}
	bo := s.sx.order
	group, elem = bo.Uint16(d[pos:]), bo.Uint16(d[pos+2:])
	if group == 0xFFFE || s.sx.implicit {
		vl = bo.Uint32(d[pos+4:])
		if group == 0xFFFE {
			return group, elem, "", vl, 8, nil
		}
		return group, elem, implicitVR(tag.Tag{Group: group, Element: elem}), vl, 8, nil
	}
	vr = string(d[pos+4 : pos+6])
	if vr[0] < 'A' || vr[0] > 'Z' || vr[1] < 'A' || vr[1] > 'Z' {
		return 0, 0, "", 0, 0, fmt.Errorf("%w: (%04X,%04X) has no valid VR", ErrMalformed, group, elem)
	}
	if longVRs[vr] {
		if end-pos < 12 {
			return 0, 0, "", 0, 0, fmt.Errorf("%w: truncated element header at byte %d", ErrMalformed, pos)
		}
		return group, elem, vr, bo.Uint32(d[pos+8:]), 12, nil
	}
	vl = uint32(bo.Uint16(d[pos+6:]))
	if vl == 0xFFFF {
		vl = undefinedLength // the library reads 0xFFFF as undefined
	}
	return group, elem, vr, vl, 8, nil
}

// implicitVR is the VR the library assumes for a tag in implicit VR.
func implicitVR(t tag.Tag) string {
	info, err := tag.Find(t)
	if err != nil || len(info.VRs) == 0 {
		return "UN"
	}
	return info.VRs[0]
}

// imageCtx collects, per data set, the attributes the library reads to
// size native pixel data. Each keeps its first value, as the library's
// lookup (Dataset.FindElementByTag) and readImageAttrs find the first of a
// repeated tag: the length check must be the one the library would make,
// because pixel data decoded from the file's bytes skips the library's.
type imageCtx struct {
	rows, cols, bits, samples, frames int
	has                               uint8 // bits: 1 rows, 2 cols, 4 bits, 8 samples, 16 frames
}

// dataset walks elements from pos to end (defined length) or to an item
// delimiter (undefined, inItem) and returns where it stopped.
func (s *scanner) dataset(pos, end int, undefined bool, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: sequences nested deeper than %d", ErrMalformed, maxDepth)
	}
	ctx := imageCtx{frames: 1}
	for pos < end {
		g, e, vr, vl, hdr, err := s.header(pos, end)
		if err != nil {
			return 0, err
		}
		t := tag.Tag{Group: g, Element: e}
		if g == 0xFFFE {
			if e == 0xE00D && undefined && depth > 0 {
				return pos + hdr, nil
			}
			return 0, fmt.Errorf("%w: unexpected item tag (FFFE,%04X) at byte %d", ErrMalformed, e, pos)
		}
		if g == 0x0002 && depth == 0 {
			return 0, fmt.Errorf("%w: file meta element (0002,%04X) after the file meta information", ErrMalformed, e)
		}
		body := pos + hdr
		if t == tag.PixelData {
			next, err := s.pixelData(body, end, vl, &ctx, depth)
			if err != nil {
				return 0, err
			}
			pos = next
			continue
		}
		if vl == undefinedLength {
			// The library reads undefined-length SQ and UN as sequences,
			// OB/OW as fragments; anything else is an error there too.
			switch {
			case vr == "SQ" || vr == "UN":
				next, err := s.sequence(body, end, true, depth+1)
				if err != nil {
					return 0, fmt.Errorf("%s: %w", tagString(t), err)
				}
				pos = next
			case vr == "OB" || vr == "OW":
				next, err := s.fragments(body, end)
				if err != nil {
					return 0, fmt.Errorf("%s: %w", tagString(t), err)
				}
				pos = next
			default:
				return 0, fmt.Errorf("%w: %s with VR %s has undefined length", ErrMalformed, tagString(t), vr)
			}
			continue
		}
		if int64(vl) > int64(end-body) {
			return 0, fmt.Errorf("%w: %s declares %d bytes, %d remain", ErrMalformed, tagString(t), vl, end-body)
		}
		if vr == "SQ" {
			if _, err := s.sequence(body, body+int(vl), false, depth+1); err != nil {
				return 0, fmt.Errorf("%s: %w", tagString(t), err)
			}
		} else if err := checkValue(t, vr, s.data[body:body+int(vl)], s.sx.order, &ctx); err != nil {
			return 0, err
		}
		pos = body + int(vl)
	}
	if undefined {
		return 0, fmt.Errorf("%w: item of undefined length without its delimiter", ErrMalformed)
	}
	return pos, nil
}

// sequence walks items from pos: to end when defined, to the sequence
// delimiter when undefined.
func (s *scanner) sequence(pos, end int, undefined bool, depth int) (int, error) {
	for pos < end {
		g, e, _, vl, hdr, err := s.header(pos, end)
		if err != nil {
			return 0, err
		}
		if g == 0xFFFE && e == 0xE0DD && undefined {
			return pos + hdr, nil
		}
		if g != 0xFFFE || e != 0xE000 {
			return 0, fmt.Errorf("%w: element (%04X,%04X) in a sequence where an item belongs", ErrMalformed, g, e)
		}
		body := pos + hdr
		if vl == undefinedLength {
			next, err := s.dataset(body, end, true, depth)
			if err != nil {
				return 0, err
			}
			pos = next
			continue
		}
		if int64(vl) > int64(end-body) {
			return 0, fmt.Errorf("%w: sequence item declares %d bytes, %d remain", ErrMalformed, vl, end-body)
		}
		if _, err := s.dataset(body, body+int(vl), false, depth); err != nil {
			return 0, err
		}
		pos = body + int(vl)
	}
	if undefined {
		return 0, fmt.Errorf("%w: sequence of undefined length without its delimiter", ErrMalformed)
	}
	return pos, nil
}

// fragments walks encapsulated items (defined lengths) to the sequence
// delimiter.
func (s *scanner) fragments(pos, end int) (int, error) {
	for pos < end {
		if end-pos < 8 {
			break
		}
		bo := s.sx.order
		g, e, vl := bo.Uint16(s.data[pos:]), bo.Uint16(s.data[pos+2:]), bo.Uint32(s.data[pos+4:])
		pos += 8
		if g == 0xFFFE && e == 0xE0DD {
			return pos, nil
		}
		if g != 0xFFFE || e != 0xE000 || vl == undefinedLength || int64(vl) > int64(end-pos) {
			return 0, fmt.Errorf("%w: bad fragment in encapsulated data", ErrMalformed)
		}
		pos += int(vl)
	}
	return 0, fmt.Errorf("%w: encapsulated data without its sequence delimiter", ErrMalformed)
}

// pixelData checks (7FE0,0010): fragments under an encapsulated syntax,
// else a native value whose length matches the image attributes. Inside a
// sequence (an icon) the encoding follows the length, as the library reads
// it: icons stay native in compressed files.
func (s *scanner) pixelData(pos, end int, vl uint32, ctx *imageCtx, depth int) (int, error) {
	if vl == undefinedLength {
		if !s.sx.encapsulated && depth == 0 {
			return 0, fmt.Errorf("%w: encapsulated pixel data under a native transfer syntax", ErrMalformed)
		}
		next, err := s.fragments(pos, end)
		if err != nil {
			return 0, fmt.Errorf("pixel data: %w", err)
		}
		return next, nil
	}
	if s.sx.encapsulated && depth == 0 {
		return 0, fmt.Errorf("%w: native pixel data under an encapsulated transfer syntax", ErrMalformed)
	}
	if int64(vl) > int64(end-pos) {
		return 0, fmt.Errorf("%w: pixel data declares %d bytes, %d remain", ErrMalformed, vl, end-pos)
	}
	if ctx.has&15 != 15 {
		return 0, fmt.Errorf("%w: pixel data without rows, columns, bits allocated and samples per pixel before it", ErrMalformed)
	}
	switch ctx.bits {
	case 8, 16, 32:
	default:
		return 0, fmt.Errorf("%w: bits allocated %d (want 8, 16 or 32)", ErrUnsupported, ctx.bits)
	}
	want := int64(ctx.rows) * int64(ctx.cols) * int64(ctx.samples) * int64(ctx.bits/8) * int64(ctx.frames)
	got := int64(vl)
	if got != want && !(got == want+1 && got%2 == 0) {
		return 0, fmt.Errorf("%w: %d bytes, %d rows × %d columns × %d bits × %d samples × %d frames make %d",
			ErrPixelLength, got, ctx.rows, ctx.cols, ctx.bits, ctx.samples, ctx.frames, want)
	}
	if depth == 0 && !s.pixels.found {
		s.pixels = nativeSpan{found: true, off: pos, length: int(vl)}
	}
	return pos + int(vl), nil
}

// checkValue checks the attributes the library indexes without a check and
// records the image attributes.
func checkValue(t tag.Tag, vr string, v []byte, bo binary.ByteOrder, ctx *imageCtx) error {
	if t.Group != 0x0028 {
		return nil
	}
	us := func(bit uint8, dst *int) error {
		if vr != "US" || len(v) != 2 {
			return fmt.Errorf("%w: %s must be US of 2 bytes (VR %s, %d bytes)", ErrMalformed, tagString(t), vr, len(v))
		}
		if ctx.has&bit == 0 {
			*dst = int(bo.Uint16(v))
			ctx.has |= bit
		}
		return nil
	}
	switch t {
	case tag.Rows:
		return us(1, &ctx.rows)
	case tag.Columns:
		return us(2, &ctx.cols)
	case tag.BitsAllocated:
		return us(4, &ctx.bits)
	case tag.SamplesPerPixel:
		return us(8, &ctx.samples)
	case tag.NumberOfFrames:
		str := strings.Trim(string(bytes.TrimRight(v, "\x00")), " ")
		n, err := strconv.Atoi(str)
		if vr != "IS" || err != nil || n < 1 || n > maxFrames {
			return fmt.Errorf("%w: number of frames (0028,0008) is not an integer in 1..%d", ErrMalformed, maxFrames)
		}
		if ctx.has&16 == 0 {
			ctx.frames = n
			ctx.has |= 16
		}
	}
	return nil
}
