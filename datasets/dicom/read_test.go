package dicom

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/dicom/dicomtest"
)

func TestReadDirPixelFormats(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	got, st := readAll(t, dir, Options{Key: testKey})
	if st.Files != len(truth.Files) || st.Skipped != len(truth.NonDICOM) || st.NoImage != 0 {
		t.Fatalf("stats %+v, want %d files and %d skipped", st, len(truth.Files), len(truth.NonDICOM))
	}
	seen := map[string]bool{}
	for p, f := range truth.Files {
		in := got[p]
		if in == nil {
			t.Fatalf("%s not read", p)
		}
		seen[f.Format] = true
		if in.Rows != f.Rows || in.Cols != f.Cols || len(in.Pixels) != f.Rows*f.Cols {
			t.Fatalf("%s: %d×%d with %d pixels, want %d×%d", p, in.Rows, in.Cols, len(in.Pixels), f.Rows, f.Cols)
		}
		want := minMax(f.Values, f.Monochrome1)
		var maxErr, sumErr float64
		for i := range want {
			d := math.Abs(float64(in.Pixels[i]) - want[i])
			maxErr = math.Max(maxErr, d)
			sumErr += d
		}
		if f.Lossy {
			if mean := sumErr / float64(len(want)); mean > 0.02 {
				t.Errorf("%s (%s): mean error %.4f after JPEG", p, f.Format, mean)
			}
		} else if maxErr > 1e-6 {
			t.Errorf("%s (%s): max error %g", p, f.Format, maxErr)
		}
	}
	for _, fm := range []string{dicomtest.FormatU16Rescale, dicomtest.FormatU8, dicomtest.FormatS16, dicomtest.FormatBigEndian,
		dicomtest.FormatMono1, dicomtest.FormatRGB, dicomtest.FormatJPEG, dicomtest.FormatU32} {
		if !seen[fm] {
			t.Errorf("format %s not in the corpus", fm)
		}
	}
	burned := 0
	for p, f := range truth.Files {
		if f.BurnedIn != (got[p].BurnedInAnnotation == "YES") {
			t.Errorf("%s: BurnedInAnnotation %q, truth %v", p, got[p].BurnedInAnnotation, f.BurnedIn)
		}
		if f.BurnedIn {
			burned++
		}
	}
	if burned != 1 {
		t.Errorf("%d burned-in files, want 1", burned)
	}
}

// minMax is the reference of the default normalisation.
func minMax(v []float64, invert bool) []float64 {
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = (x - lo) / (hi - lo)
		if invert {
			out[i] = 1 - out[i]
		}
	}
	return out
}

func TestWindow(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{BurnedIn: true})
	w := &Window{Center: 40, Width: 400}
	got, _ := readAll(t, dir, Options{Key: testKey, Window: w})
	n := 0
	for p, f := range truth.Files {
		if f.Format != dicomtest.FormatU16Rescale {
			continue
		}
		n++
		var zeros, ones int
		for i, x := range f.Values {
			// PS3.3 C.11.2.1.2.1, written out independently.
			var want float64
			switch {
			case x <= 40-0.5-(400-1)/2.0:
				want = 0
			case x > 40-0.5+(400-1)/2.0:
				want = 1
			default:
				want = ((x-(40-0.5))/(400-1) + 0.5)
			}
			if d := math.Abs(float64(got[p].Pixels[i]) - want); d > 1e-6 {
				t.Fatalf("%s pixel %d: %g, want %g", p, i, got[p].Pixels[i], want)
			}
			switch want {
			case 0:
				zeros++
			case 1:
				ones++
			}
		}
		if zeros == 0 || ones == 0 {
			t.Fatalf("%s: window clipped nothing (%d zeros, %d ones): the test data do not exercise it", p, zeros, ones)
		}
	}
	if n == 0 {
		t.Fatal("no rescaled file")
	}
	if _, err := ReadDir(dir, Options{Key: testKey, Window: &Window{Center: 0, Width: 0}}, func(*Instance) error { return nil }); !errors.Is(err, ErrOptions) {
		t.Fatalf("width 0: %v, want ErrOptions", err)
	}
}

func TestDICOMDIR(t *testing.T) {
	dir, truth := corpus(t, dicomtest.Config{Patients: 3, DICOMDIR: true, Seed: 7})
	got, st := readAll(t, dir, Options{Key: testKey})
	if st.Files != len(truth.Files) || st.Skipped != 0 || len(got) != len(truth.Files) {
		t.Fatalf("stats %+v, want %d files from the DICOMDIR and nothing skipped", st, len(truth.Files))
	}
	// A DICOMDIR that points outside its directory is refused.
	dd := build(explicitLE, elem(0x0004, 0x1220, "SQ", nil, undefinedLength),
		raw(0xFFFE, 0xE000, undefinedLength), el(0x0004, 0x1500, "CS", `..\..\etc\passwd`),
		raw(0xFFFE, 0xE00D, 0), raw(0xFFFE, 0xE0DD, 0))
	bad := writeTemp(t, "DICOMDIR", dd)
	_, err := ReadDir(bad, Options{Key: testKey}, func(*Instance) error { return nil })
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "DICOMDIR") {
		t.Fatalf("escaping DICOMDIR: %v", err)
	}
}

func TestReadDirOrderAndStop(t *testing.T) {
	dir, _ := corpus(t, dicomtest.Config{BurnedIn: true})
	var paths []string
	stop := errors.New("stop")
	_, err := ReadDir(dir, Options{Key: testKey}, func(in *Instance) error {
		paths = append(paths, in.Path)
		if len(paths) == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(paths) != 5 {
		t.Fatalf("fn's error not returned: %v after %d", err, len(paths))
	}
	for i := 1; i < len(paths); i++ {
		if paths[i-1] >= paths[i] {
			t.Fatalf("not sorted: %q", paths)
		}
	}
}
