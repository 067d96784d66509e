package dicom

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// TestSignedTwelveBits checks masking to BitsStored and sign extension from
// bit 11, with garbage above the stored bits as some modalities leave it.
func TestSignedTwelveBits(t *testing.T) {
	stored := []uint16{0x0FFF, 0x0800, 0x07FF, 0x0000, 0xF001, 0xA7FE} // -1, -2048, 2047, 0, 1, 2046
	want := []float64{-1, -2048, 2047, 0, 1, 2046}
	var pix []byte
	for _, v := range stored {
		pix = binary.LittleEndian.AppendUint16(pix, v)
	}
	data := build(explicitLE,
		us(0x0028, 0x0002, 1),
		el(0x0028, 0x0004, "CS", "MONOCHROME2"),
		us(0x0028, 0x0010, 2),
		us(0x0028, 0x0011, 3),
		us(0x0028, 0x0100, 16),
		us(0x0028, 0x0101, 12),
		us(0x0028, 0x0102, 11),
		us(0x0028, 0x0103, 1),
		el(0x0028, 0x1052, "DS", "100"),
		el(0x0028, 0x1053, "DS", "0.5"),
		elem(0x7FE0, 0x0010, "OW", pix, uint32(len(pix))),
	)
	// A window as wide as the range after rescale maps value x to
	// (x - (c - 0.5)) / (w - 1) + 0.5 exactly.
	c, w := 100.0, 4096.0
	in, err := mustSettings(t, Options{Raw: true, Window: &Window{Center: c, Width: w}}).readBytes(data, "s12.dcm")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want {
		x := v*0.5 + 100
		exp := (x-(c-0.5))/(w-1) + 0.5
		if math.Abs(float64(in.Pixels[i])-exp) > 1e-6 {
			t.Errorf("pixel %d (stored %#04x): %g, want %g (value %g)", i, stored[i], in.Pixels[i], exp, v)
		}
	}
}

// TestJPEGWithNativeIcon reads a JPEG baseline file whose icon (in a
// sequence) is native, as PACS write them, and removes the icon.
func TestJPEGWithNativeIcon(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 16)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	frag := buf.Bytes()
	if len(frag)%2 == 1 {
		frag = append(frag, 0)
	}
	var icon []byte
	for _, b := range [][]byte{us(0x0028, 0x0002, 1), el(0x0028, 0x0004, "CS", "MONOCHROME2"), us(0x0028, 0x0010, 2),
		us(0x0028, 0x0011, 2), us(0x0028, 0x0100, 8), elem(0x7FE0, 0x0010, "OB", []byte{1, 2, 3, 4}, 4)} {
		icon = append(icon, b...)
	}
	body := [][]byte{
		el(0x0010, 0x0010, "PN", secretName),
		us(0x0028, 0x0002, 1), el(0x0028, 0x0004, "CS", "MONOCHROME2"), us(0x0028, 0x0010, 4), us(0x0028, 0x0011, 4),
		us(0x0028, 0x0100, 8), us(0x0028, 0x0101, 8),
		elem(0x0088, 0x0200, "SQ", nil, undefinedLength), raw(0xFFFE, 0xE000, uint32(len(icon))), icon, raw(0xFFFE, 0xE0DD, 0),
		elem(0x7FE0, 0x0010, "OB", nil, undefinedLength), raw(0xFFFE, 0xE000, 0), raw(0xFFFE, 0xE000, uint32(len(frag))), frag,
		raw(0xFFFE, 0xE0DD, 0),
	}
	in, err := mustSettings(t, Options{Key: testKey}).readBytes(build("1.2.840.10008.1.2.4.50", body...), "icon.dcm")
	if err != nil {
		t.Fatal(err)
	}
	if in.Rows != 4 || in.Cols != 4 || in.Pixels[15] < 0.95 || in.Pixels[0] > 0.05 {
		t.Fatalf("%d×%d pixels %v", in.Rows, in.Cols, in.Pixels)
	}
	if _, ok := attr(in, "(0088,0200)"); ok {
		t.Error("icon image sequence kept")
	}
}
