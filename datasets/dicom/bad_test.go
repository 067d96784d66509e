package dicom

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

// replace returns body with the element at i replaced.
func replace(body [][]byte, i int, b []byte) [][]byte {
	out := append([][]byte(nil), body...)
	out[i] = b
	return out
}

func nested(depth int) []byte {
	if depth == 0 {
		return nil
	}
	inner := nested(depth - 1)
	var b []byte
	b = append(b, elem(0x0040, 0xA730, "SQ", nil, undefinedLength)...)
	b = append(b, raw(0xFFFE, 0xE000, undefinedLength)...)
	b = append(b, inner...)
	b = append(b, raw(0xFFFE, 0xE00D, 0)...)
	return append(b, raw(0xFFFE, 0xE0DD, 0)...)
}

func badInputs(t testing.TB) map[string]struct {
	data []byte
	want error
	text string // the error must also contain this
} {
	good := image8(16)
	u16 := goodGenerated(t)
	type c = struct {
		data []byte
		want error
		text string
	}
	return map[string]c{
		"pixel length":          {build(explicitLE, image8(20)...), ErrPixelLength, "20 bytes"},
		"4 GB value length":     {build(explicitLE, append(good, elem(0x0042, 0x0011, "OB", []byte{1, 2}, 0xFFFFFFF0))...), ErrMalformed, "declares 4294967280 bytes"},
		"4 GB pixel length":     {build(explicitLE, replace(good, 8, elem(0x7FE0, 0x0010, "OB", make([]byte, 16), 0xFFFFFFF0))...), ErrMalformed, "declares"},
		"meta length":           {append(append(make([]byte, 128), "DICM"...), elem(2, 0, "UL", []byte{0xF0, 0xFF, 0xFF, 0xFF}, 4)...), ErrMalformed, "meta"},
		"truncated":             {build(explicitLE, good...)[:200], ErrMalformed, ""},
		"truncated generated":   {u16[:len(u16)*7/10], ErrMalformed, ""},
		"header cut":            {build(explicitLE, good...)[:140], ErrMalformed, ""},
		"sequence no delimiter": {build(explicitLE, append(good, elem(0x0040, 0xA730, "SQ", nil, undefinedLength), raw(0xFFFE, 0xE000, undefinedLength), el(0x0010, 0x0010, "PN", secretName), raw(0xFFFE, 0xE00D, 0))...), ErrMalformed, "delimiter"},
		"item no delimiter":     {build(explicitLE, append(good, elem(0x0040, 0xA730, "SQ", nil, undefinedLength), raw(0xFFFE, 0xE000, undefinedLength), el(0x0010, 0x0010, "PN", secretName))...), ErrMalformed, "delimiter"},
		"item outside sequence": {build(explicitLE, append(good, raw(0xFFFE, 0xE000, 0))...), ErrMalformed, "item"},
		"non-item in sequence":  {build(explicitLE, append(good, elem(0x0040, 0xA730, "SQ", el(0x0010, 0x0010, "PN", secretName), uint32(len(el(0x0010, 0x0010, "PN", secretName)))))...), ErrMalformed, "where an item belongs"},
		"nested too deep":       {build(explicitLE, append(good, nested(40))...), ErrMalformed, "nested"},
		"rows as LO":            {build(explicitLE, replace(good, 4, el(0x0028, 0x0010, "LO", "4"))...), ErrMalformed, "(0028,0010)"},
		"bits allocated empty":  {build(explicitLE, replace(good, 6, elem(0x0028, 0x0100, "US", nil, 0))...), ErrMalformed, "(0028,0100)"},
		"frames huge":           {build(explicitLE, append(good[:8:8], el(0x0028, 0x0008, "IS", "99999999"), good[8])...), ErrMalformed, "number of frames"},
		"bits allocated 12":     {build(explicitLE, replace(good, 6, us(0x0028, 0x0100, 12))...), ErrUnsupported, "bits allocated 12"},
		"JPEG 2000":             {build("1.2.840.10008.1.2.4.90", good...), ErrUnsupported, "JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.90)"},
		"deflated":              {build("1.2.840.10008.1.2.1.99", good...), ErrUnsupported, "Deflated Explicit VR Little Endian"},
		"RLE":                   {build("1.2.840.10008.1.2.5", good...), ErrUnsupported, "RLE Lossless"},
		"unknown syntax":        {build("1.2.3.999", good...), ErrUnsupported, "unknown transfer syntax (1.2.3.999)"},
		"syntax as text":        {build(secretName, good...), ErrUnsupported, "not a UID"},
		"no transfer syntax":    {build("", good...), ErrMalformed, "transfer syntax"},
		"palette colour":        {build(explicitLE, replace(good, 3, el(0x0028, 0x0004, "CS", "PALETTE COLOR"))...), ErrUnsupported, "PALETTE COLOR"},
		"native under JPEG":     {build("1.2.840.10008.1.2.4.50", good...), ErrMalformed, "native pixel data"},
		"JPEG not a JPEG":       {build("1.2.840.10008.1.2.4.50", append(good[:8:8], elem(0x7FE0, 0x0010, "OB", nil, undefinedLength), raw(0xFFFE, 0xE000, 0), raw(0xFFFE, 0xE000, 4), []byte{1, 2, 3, 4}, raw(0xFFFE, 0xE0DD, 0))...), ErrMalformed, "JPEG"},
		"fragments unended":     {build("1.2.840.10008.1.2.4.50", append(good[:8:8], elem(0x7FE0, 0x0010, "OB", nil, undefinedLength), raw(0xFFFE, 0xE000, 0))...), ErrMalformed, "delimiter"},
	}
}

// goodGenerated returns the bytes of a generated 16-bit file.
func goodGenerated(t testing.TB) []byte {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	for p, f := range truth.Files {
		if f.Format == dicomtest.FormatU16Rescale {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatal("no 16-bit file generated")
	return nil
}

func TestBadInputs(t *testing.T) {
	// The hand-built image itself is valid: the cases below differ from it
	// by one thing each.
	dir := writeTemp(t, "good.dcm", build(explicitLE, image8(16)...))
	if got, st := readAll(t, dir, Options{Key: testKey}); st.Files != 1 || got["good.dcm"].Rows != 4 {
		t.Fatalf("valid hand-built file not read: %+v", st)
	}
	for name, c := range badInputs(t) {
		t.Run(name, func(t *testing.T) {
			dir := writeTemp(t, "bad.dcm", c.data)
			st, err := ReadDir(dir, Options{Key: testKey}, func(*Instance) error {
				t.Fatal("fn called for a bad file")
				return nil
			})
			if !errors.Is(err, c.want) {
				t.Fatalf("%v (stats %+v), want %v", err, st, c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, "bad.dcm") || !strings.Contains(msg, c.text) {
				t.Errorf("error %q does not name the file and %q", msg, c.text)
			}
			for _, phi := range []string{"SECRETSURNAME", "9434765919"} {
				if strings.Contains(msg, phi) {
					t.Errorf("error %q shows an identifying value", msg)
				}
			}
		})
	}
}

func TestSkippedAndLimits(t *testing.T) {
	notDICM := build(explicitLE, image8(16)...)
	copy(notDICM[128:], "DICX")
	dir := writeTemp(t, "x.dcm", notDICM)
	if err := os.WriteFile(filepath.Join(dir, "short"), []byte("DICM"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, st := readAll(t, dir, Options{Key: testKey}); st.Skipped != 2 || st.Files != 0 {
		t.Fatalf("stats %+v, want 2 skipped", st)
	}
	big := writeTemp(t, "big.dcm", build(explicitLE, image8(16)...))
	_, err := ReadDir(big, Options{Key: testKey, MaxFileBytes: 100}, func(*Instance) error { return nil })
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "big.dcm") {
		t.Fatalf("%v, want ErrTooLarge naming big.dcm", err)
	}
	// A DICOM file without pixels is counted, not passed on.
	nopix := writeTemp(t, "sr.dcm", build(explicitLE, el(0x0010, 0x0010, "PN", secretName)))
	if _, st := readAll(t, nopix, Options{Key: testKey}); st.NoImage != 1 || st.Files != 0 {
		t.Fatalf("stats %+v, want 1 without image", st)
	}
}
