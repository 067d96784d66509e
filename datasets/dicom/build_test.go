package dicom

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

// Hand-built explicit VR little endian files, for inputs the library's
// writer will not produce.

// elem encodes one explicit VR LE element with a given length field.
func elem(group, element uint16, vr string, value []byte, length uint32) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, group)
	b = binary.LittleEndian.AppendUint16(b, element)
	b = append(b, vr...)
	if longVRs[vr] {
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, length)
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(length))
	}
	return append(b, value...)
}

// el encodes an element with its value's length (padded to even).
func el(group, element uint16, vr string, value string) []byte {
	v := []byte(value)
	if len(v)%2 == 1 {
		if vr == "UI" || vr == "OB" {
			v = append(v, 0)
		} else {
			v = append(v, ' ')
		}
	}
	return elem(group, element, vr, v, uint32(len(v)))
}

func us(group, element uint16, v uint16) []byte {
	return elem(group, element, "US", binary.LittleEndian.AppendUint16(nil, v), 2)
}

// raw is an implicit-style header (items, delimiters).
func raw(group, element uint16, length uint32) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, group)
	b = binary.LittleEndian.AppendUint16(b, element)
	return binary.LittleEndian.AppendUint32(b, length)
}

// secretName is the PatientName of hand-built files; no error may show it.
const secretName = "SECRETSURNAME^PATIENT"

// build returns a file: preamble, meta with the transfer syntax, then body.
func build(ts string, body ...[]byte) []byte {
	var meta []byte
	meta = append(meta, el(2, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7")...)
	meta = append(meta, el(2, 0x0003, "UI", "1.2.3.4.5")...)
	meta = append(meta, el(2, 0x0010, "UI", ts)...)
	out := make([]byte, 128)
	out = append(out, "DICM"...)
	out = append(out, elem(2, 0, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(meta))), 4)...)
	out = append(out, meta...)
	for _, b := range body {
		out = append(out, b...)
	}
	return out
}

// image8 is the body of a valid 4×4 8-bit image with a patient name.
func image8(pixelLen int) [][]byte {
	return [][]byte{
		el(0x0010, 0x0010, "PN", secretName),
		el(0x0010, 0x0020, "LO", "9434765919"),
		us(0x0028, 0x0002, 1),
		el(0x0028, 0x0004, "CS", "MONOCHROME2"),
		us(0x0028, 0x0010, 4),
		us(0x0028, 0x0011, 4),
		us(0x0028, 0x0100, 8),
		us(0x0028, 0x0101, 8),
		elem(0x7FE0, 0x0010, "OB", make([]byte, pixelLen), uint32(pixelLen)),
	}
}

const explicitLE = "1.2.840.10008.1.2.1"

var testKey = []byte("0123456789abcdef0123456789abcdef")

func mustSettings(t testing.TB, o Options) *settings {
	t.Helper()
	s, err := o.settings()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// corpus writes a generated corpus once per test binary and config.
var corpora = map[dicomtest.Config]struct {
	dir   string
	truth dicomtest.Truth
}{}

func corpus(t testing.TB, cfg dicomtest.Config) (string, dicomtest.Truth) {
	t.Helper()
	if c, ok := corpora[cfg]; ok {
		return c.dir, c.truth
	}
	dir, err := os.MkdirTemp("", "dicomtest")
	if err != nil {
		t.Fatal(err)
	}
	truth, err := dicomtest.Write(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	corpora[cfg] = struct {
		dir   string
		truth dicomtest.Truth
	}{dir, truth}
	return dir, truth
}

// readAll reads a directory into instances by path.
func readAll(t testing.TB, dir string, o Options) (map[string]*Instance, Stats) {
	t.Helper()
	out := map[string]*Instance{}
	st, err := ReadDir(dir, o, func(in *Instance) error {
		out[in.Path] = in
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func attr(in *Instance, tagPath string) (Attribute, bool) {
	for _, a := range in.Attributes {
		if a.Tag == tagPath {
			return a, true
		}
	}
	return Attribute{}, false
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
