package dicom

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

// sameRead reads data by both pixel decoders and fails unless they give the
// same instance, or the same error.
func sameRead(t testing.TB, s *settings, data []byte, name string) *Instance {
	t.Helper()
	fast, ferr := s.readBytes(data, name)
	lib, lerr := s.readLibrary(data, name)
	if (ferr == nil) != (lerr == nil) || ferr != nil && ferr.Error() != lerr.Error() {
		t.Fatalf("%s: fast path error %v, library path error %v", name, ferr, lerr)
	}
	if ferr != nil {
		return nil
	}
	for i := range fast.Pixels {
		if fast.Pixels[i] != lib.Pixels[i] {
			t.Fatalf("%s: pixel %d is %g by the fast path, %g by the library's", name, i, fast.Pixels[i], lib.Pixels[i])
		}
	}
	if !reflect.DeepEqual(fast, lib) {
		t.Fatalf("%s: the fast and library paths read different instances", name)
	}
	return fast
}

// TestNativeMatchesLibrary holds the decoder of native pixel data from the
// file's bytes to the library's decoding, bit for bit, on every format the
// generator writes (each transfer syntax, bit depth, sign, RGB, MONOCHROME1,
// JPEG through the library on both sides), under the default min–max and a
// window, de-identified and raw, and on hand-built layouts it does not
// write: Bits Stored below Bits Allocated with garbage above, planar RGB,
// several frames, 32-bit signed.
func TestNativeMatchesLibrary(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{Patients: 2, StudiesPerPatient: 2, ImagesPerSeries: 4, Size: 16, Seed: 5})
	all := []*settings{
		mustSettings(t, Options{Key: testKey}),
		mustSettings(t, Options{Raw: true, Window: &Window{Center: 40, Width: 400}}),
	}
	seen := map[string]bool{}
	for p, f := range truth.Files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			if sameRead(t, s, data, p) == nil {
				t.Fatalf("%s (%s) not read", p, f.Format)
			}
		}
		seen[f.Format] = true
	}
	for _, fm := range []string{dicomtest.FormatU16Rescale, dicomtest.FormatU8, dicomtest.FormatS16, dicomtest.FormatBigEndian,
		dicomtest.FormatMono1, dicomtest.FormatRGB, dicomtest.FormatJPEG, dicomtest.FormatU32} {
		if !seen[fm] {
			t.Errorf("format %s not compared", fm)
		}
	}

	image := func(photometric string, samples, bits, stored, signed, planar, frames int, pix []byte) []byte {
		body := [][]byte{
			el(0x0010, 0x0020, "LO", "9434765919"),
			us(0x0028, 0x0002, uint16(samples)),
			el(0x0028, 0x0004, "CS", photometric),
		}
		if samples == 3 {
			body = append(body, us(0x0028, 0x0006, uint16(planar)))
		}
		if frames > 1 {
			body = append(body, el(0x0028, 0x0008, "IS", "2"))
		}
		body = append(body, us(0x0028, 0x0010, 2), us(0x0028, 0x0011, 3), us(0x0028, 0x0100, uint16(bits)),
			us(0x0028, 0x0101, uint16(stored)), us(0x0028, 0x0103, uint16(signed)),
			el(0x0028, 0x1052, "DS", "-7.5"), el(0x0028, 0x1053, "DS", "0.25"),
			elem(0x7FE0, 0x0010, "OW", pix, uint32(len(pix))))
		return build(explicitLE, body...)
	}
	bytesOf := func(n, width int) []byte {
		b := make([]byte, n*width)
		for i := range b {
			b[i] = byte(i*37 + 11)
		}
		return b
	}
	for name, data := range map[string][]byte{
		"signed 12 of 16":    image("MONOCHROME2", 1, 16, 12, 1, 0, 1, bytesOf(6, 2)),
		"unsigned 10 of 16":  image("MONOCHROME1", 1, 16, 10, 0, 0, 1, bytesOf(6, 2)),
		"signed 8":           image("MONOCHROME2", 1, 8, 8, 1, 0, 1, bytesOf(6, 1)),
		"signed 32":          image("MONOCHROME2", 1, 32, 32, 1, 0, 1, bytesOf(6, 4)),
		"signed 20 of 32":    image("MONOCHROME2", 1, 32, 20, 1, 0, 1, bytesOf(6, 4)),
		"rgb planar":         image("RGB", 3, 8, 8, 0, 1, 1, bytesOf(18, 1)),
		"rgb 16":             image("RGB", 3, 16, 16, 0, 0, 1, bytesOf(18, 2)),
		"ybr":                image("YBR_FULL", 3, 8, 8, 0, 0, 1, bytesOf(18, 1)),
		"two frames":         image("MONOCHROME2", 1, 16, 16, 0, 0, 2, bytesOf(12, 2)),
		"short of the frame": image("MONOCHROME2", 1, 16, 16, 0, 0, 1, bytesOf(5, 2)),
	} {
		for _, s := range all {
			sameRead(t, s, data, name)
		}
	}
}

// TestFirstOfRepeatedAttributes: the scan sizes pixel data by the first of
// a repeated Rows, as the library does, so that skipping the library's
// native decoding skips no check it would make.
func TestFirstOfRepeatedAttributes(t *testing.T) {
	body := image8(16)
	// A second Rows saying 8 after the first saying 4: 16 bytes fit 4×4.
	body = append(body[:5], append([][]byte{us(0x0028, 0x0010, 8)}, body[5:]...)...)
	s := mustSettings(t, Options{Key: testKey})
	in := sameRead(t, s, build(explicitLE, body...), "repeated.dcm")
	if in == nil || in.Rows != 4 {
		t.Fatalf("read %+v, want 4 rows", in)
	}
}
