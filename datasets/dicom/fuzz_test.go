package dicom

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

// FuzzReadFile feeds arbitrary bytes through the scan, the library's parse,
// the pixel conversion and the de-identification. Nothing may panic, every
// error must wrap one of the package's sentinels, a file that reads must
// give rows × columns pixels in [0,1] and no private attribute, and the
// decoder of native pixels from the file's bytes must agree with the
// library's decoding, error for error and bit for bit.
func FuzzReadFile(f *testing.F) {
	dir, truth := corpus(f, dicomtest.Config{Patients: 1, StudiesPerPatient: 4, ImagesPerSeries: 2, Size: 8, Seed: 3})
	for p := range truth.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, c := range badInputs(f) {
		f.Add(c.data)
	}
	f.Add(build(explicitLE, image8(16)...))
	f.Add(build("1.2.840.10008.1.2", image8(16)...))
	f.Add(build("1.2.840.10008.1.2.2", image8(16)...))
	s := mustSettings(f, Options{Key: testKey})
	raw := mustSettings(f, Options{Raw: true, Window: &Window{Center: 100, Width: 50}})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, st := range []*settings{s, raw} {
			sameRead(t, st, data, "fuzz.dcm")
			in, err := st.readBytes(data, "fuzz.dcm")
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrPixelLength) &&
					!errors.Is(err, ErrNoPixels) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, errNotDICOM) {
					t.Fatalf("error without a sentinel: %v", err)
				}
				continue
			}
			if len(in.Pixels) != in.Rows*in.Cols {
				t.Fatalf("%d pixels for %d×%d", len(in.Pixels), in.Rows, in.Cols)
			}
			for _, v := range in.Pixels {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("pixel %g outside [0,1]", v)
				}
			}
			if st == s {
				for _, a := range in.Attributes {
					for _, part := range strings.Split(a.Tag, ">") {
						if len(part) != 11 || strings.IndexByte("13579BDF", part[4]) >= 0 {
							t.Fatalf("private or malformed attribute path %s kept", a.Tag)
						}
					}
				}
			}
		}
	})
}
