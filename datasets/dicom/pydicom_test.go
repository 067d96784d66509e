package dicom

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPydicomFiles reads Debian's python3-pydicom test files, written by
// many vendors' software: every file reads, is skipped as not DICOM, has no
// image, or is refused with a sentinel — never a panic — and a file whose
// transfer syntax we do not decode is refused naming it.
func TestPydicomFiles(t *testing.T) {
	out, err := exec.Command("/usr/bin/python3", "-c",
		"import json, pydicom.data; print(json.dumps(pydicom.data.get_testdata_files()))").Output()
	if err != nil {
		t.Skipf("python3-pydicom not installed (%v): apt-get install python3-pydicom", err)
	}
	var files []string
	if err := json.Unmarshal(out, &files); err != nil {
		t.Fatal(err)
	}
	s := mustSettings(t, Options{Key: testKey})
	counts := map[string]int{}
	read := map[string]bool{}
	for _, p := range files {
		name := filepath.Base(p)
		if info, err := os.Stat(p); err != nil || !info.Mode().IsRegular() {
			continue
		}
		in, _, err := s.readFile(p, name)
		var kind string
		switch {
		case err == nil:
			kind = "read"
			read[name] = true
			if len(in.Pixels) != in.Rows*in.Cols {
				t.Errorf("%s: %d pixels for %d×%d", name, len(in.Pixels), in.Rows, in.Cols)
			}
		case errors.Is(err, errNotDICOM):
			kind = "not DICOM"
		case errors.Is(err, ErrNoPixels):
			kind = "no image"
		case errors.Is(err, ErrUnsupported):
			kind = "unsupported"
			t.Logf("%s: %v", name, err)
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrPixelLength), errors.Is(err, ErrTooLarge):
			kind = "refused"
			t.Logf("%s: %v", name, err)
		default:
			t.Errorf("%s: error without a sentinel: %v", name, err)
		}
		counts[kind]++
		// A supported-or-not decision is made on the transfer syntax
		// alone: an unsupported one must be the reason given.
		if data, lerr := loadFile(p, DefaultMaxFileBytes); lerr == nil {
			// Real files from many writers: the native decoder must read
			// them as the library does, refusals included.
			sameRead(t, s, data, name)
			if res, serr := scanFile(data); serr != nil && errors.Is(serr, ErrUnsupported) && strings.Contains(serr.Error(), "transfer syntax") {
				if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "transfer syntax") {
					t.Errorf("%s: unsupported transfer syntax %s not refused by name: %v", name, res.syntaxUID, err)
				}
			}
		}
	}
	t.Logf("%d pydicom files: %v", len(files), counts)
	comparePydicomPixels(t, s, files, read)
	for _, must := range []string{"CT_small.dcm", "MR_small.dcm"} {
		if !read[must] {
			t.Errorf("%s not read", must)
		}
	}
}

// comparePydicomPixels checks the pixels of every file both read against
// pydicom's decoding (testdata/pydicom_pixels.py): size, mean and 16
// samples, within 1e-4 (0.03 for JPEG, whose decoders round differently).
func comparePydicomPixels(t *testing.T, s *settings, files []string, read map[string]bool) {
	var args []string
	for _, p := range files {
		if read[filepath.Base(p)] {
			args = append(args, p)
		}
	}
	out, err := exec.Command("/usr/bin/python3", append([]string{"testdata/pydicom_pixels.py"}, args...)...).Output()
	if err != nil {
		t.Skipf("pydicom pixel reference unavailable (numpy?): %v", err)
	}
	var ref map[string]struct {
		Rows, Cols int
		Mean       float64
		Samples    []float64
		JPEG       bool
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for p, r := range ref {
		in, _, err := s.readFile(p, filepath.Base(p))
		if err != nil {
			t.Fatal(err)
		}
		tol := 1e-4
		if r.JPEG {
			tol = 0.03
		}
		if in.Rows != r.Rows || in.Cols != r.Cols {
			t.Errorf("%s: %d×%d, pydicom %d×%d", filepath.Base(p), in.Rows, in.Cols, r.Rows, r.Cols)
			continue
		}
		var mean float64
		for _, v := range in.Pixels {
			mean += float64(v)
		}
		mean /= float64(len(in.Pixels))
		if math.Abs(mean-r.Mean) > tol {
			t.Errorf("%s: mean %.5f, pydicom %.5f", filepath.Base(p), mean, r.Mean)
		}
		n := len(in.Pixels)
		for k, want := range r.Samples {
			i := int(float64(k) * float64(n-1) / 15) // numpy: int(linspace(0, n-1, 16)[k])
			if d := math.Abs(float64(in.Pixels[i]) - want); d > tol && !r.JPEG {
				t.Errorf("%s: pixel %d = %.5f, pydicom %.5f", filepath.Base(p), i, in.Pixels[i], want)
				break
			}
		}
		compared++
	}
	t.Logf("pixels of %d files agree with pydicom", compared)
	if compared < 20 {
		t.Errorf("only %d files compared with pydicom", compared)
	}
}
