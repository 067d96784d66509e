package readers

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

func zipBytes(t testing.TB, members map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"train_images.npy", "train_labels.npy", "val_images.npy", "val_labels.npy", "test_images.npy", "test_labels.npy"} {
		data, ok := members[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// medmnistMembers is a tiny MedMNIST-layout archive: 2×2 RGB images,
// labels [n, 1], 3 train, 1 validation, 2 test images.
func medmnistMembers() map[string][]byte {
	m := map[string][]byte{}
	for _, p := range []struct {
		name string
		n    int
	}{{"train", 3}, {"val", 1}, {"test", 2}} {
		px := make([]byte, p.n*2*2*3)
		for i := range px {
			px[i] = byte(i * 5)
		}
		lab := make([]byte, p.n)
		for i := range lab {
			lab[i] = byte(i % 2)
		}
		m[p.name+"_images.npy"] = testutil.NPY("|u1", []int{p.n, 2, 2, 3}, px)
		m[p.name+"_labels.npy"] = testutil.NPY("|u1", []int{p.n, 1}, lab)
	}
	return m
}

func TestReadMedMNIST(t *testing.T) {
	t.Parallel()
	data := zipBytes(t, medmnistMembers())
	m, err := ReadMedMNIST(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, part := range m.Parts() {
		if err := part.Check(); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if part.C != 3 || part.H != 2 || part.W != 2 {
			t.Errorf("part %d shape %d×%d×%d", i, part.C, part.H, part.W)
		}
	}
	if m.Train.N != 3 || m.Validation.N != 1 || m.Test.N != 2 {
		t.Fatalf("counts %d/%d/%d", m.Train.N, m.Validation.N, m.Test.N)
	}
	// HWC → CHW: pixel (h=0, w=1, c=2) of image 0 is source byte (0*2+1)*3+2 = 5, value 25.
	if got, want := m.Train.X[2*4+0*2+1], float32(25)/255; got != want {
		t.Errorf("moved pixel = %v, want %v", got, want)
	}
	if m.Train.Y[1] != 1 {
		t.Errorf("labels %v", m.Train.Y)
	}
}

// TestReadMedMNISTFromNpyio reads an archive written by npyio itself
// (one-dimensional arrays), so the header check accepts npyio's output.
func TestReadMedMNISTFromNpyio(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := npz.NewWriter(&b)
	for _, p := range []string{"train", "val", "test"} {
		if err := w.Write(p+"_labels.npy", []int64{0, 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ReadMedMNIST(bytes.NewReader(b.Bytes()), int64(b.Len()), 0)
	// No images in the archive: the labels parse, then the images are missing.
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "train_images") {
		t.Fatalf("err = %v, want a missing train_images", err)
	}
}

func TestReadMedMNISTErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(map[string][]byte)
		want   error
	}{
		{"missing member", func(m map[string][]byte) { delete(m, "val_labels.npy") }, ErrMismatch},
		{"count mismatch", func(m map[string][]byte) {
			m["test_labels.npy"] = testutil.NPY("|u1", []int{3}, []byte{0, 1, 0})
		}, ErrMismatch},
		{"float images", func(m map[string][]byte) {
			m["val_images.npy"] = testutil.NPY("<i4", []int{1, 1, 1}, make([]byte, 4))
		}, ErrFormat},
		{"multi-label", func(m map[string][]byte) {
			m["train_labels.npy"] = testutil.NPY("|u1", []int{3, 2}, make([]byte, 6))
		}, ErrFormat},
		{"truncated", func(m map[string][]byte) {
			m["train_images.npy"] = m["train_images.npy"][:100]
		}, ErrTruncated},
		{"trailing", func(m map[string][]byte) {
			m["train_labels.npy"] = append(m["train_labels.npy"], 1)
		}, ErrTrailing},
		{"huge shape", func(m map[string][]byte) {
			m["train_images.npy"] = testutil.NPY("|u1", []int{1 << 30, 1 << 30, 4}, nil)
		}, ErrTooLarge},
		{"bad magic", func(m map[string][]byte) { m["train_images.npy"] = []byte("not numpy at all") }, ErrFormat},
		{"negative label", func(m map[string][]byte) {
			m["train_labels.npy"] = testutil.NPY("|i1", []int{3}, []byte{0, 0xff, 1})
		}, ErrValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := medmnistMembers()
			tc.mutate(m)
			data := zipBytes(t, m)
			_, err := ReadMedMNIST(bytes.NewReader(data), int64(len(data)), 1<<20)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzReadMedMNIST mutates a valid archive and single members: no input may
// panic or decode more pixels than the archive could hold.
func FuzzReadMedMNIST(f *testing.F) {
	f.Add(zipBytes(f, medmnistMembers()))
	f.Add([]byte("PK\x03\x04"))
	f.Add(testutil.NPY("|u1", []int{2, 2}, []byte{1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMedMNIST(bytes.NewReader(data), int64(len(data)), 1<<24)
		if err != nil {
			return
		}
		total := 0
		for _, p := range m.Parts() {
			if err := p.Check(); err != nil {
				t.Fatalf("accepted inconsistent part: %v", err)
			}
			total += len(p.X)
		}
		if total > deflateMaxRatio*len(data)+npyMaxHeader {
			t.Fatalf("%d pixels from %d bytes", total, len(data))
		}
	})
}

// FuzzNPYHeader feeds single NPY members, where the header parser sees the
// fuzzer's bytes directly rather than through zip's checksums.
func FuzzNPYHeader(f *testing.F) {
	f.Add(testutil.NPY("|u1", []int{3, 1}, []byte{0, 1, 2}))
	f.Add(testutil.NPY("<i8", []int{1}, make([]byte, 8)))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := medmnistMembers()
		m["train_labels.npy"] = data
		z := zipBytes(t, m)
		_, _ = ReadMedMNIST(bytes.NewReader(z), int64(len(z)), 1<<20)
	})
}
