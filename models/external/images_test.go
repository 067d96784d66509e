package external

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
)

// The IDX pair synth.WriteLesions writes.
const (
	lesionImages = "train-images-idx3-ubyte"
	lesionLabels = "train-labels-idx1-ubyte"
)

// writeLesions writes n lesions from seed as synth.WriteLesions does and returns the
// images and labels paths.
func writeLesions(t testing.TB, n int, seed uint64) (string, string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.WriteLesions(dir, n, seed); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, lesionImages), filepath.Join(dir, lesionLabels)
}

// idx is an IDX file of unsigned bytes: magic 0x0000 08 ndims, big-endian dimensions.
func idx(dims []int, data []byte) []byte {
	b := []byte{0, 0, readers.IDXUint8, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeIDXPair writes l's images and labels as a trust's own IDX pair.
func writeIDXPair(t testing.TB, l *synth.Lesions) (string, string) {
	t.Helper()
	dir := t.TempDir()
	return writeFile(t, filepath.Join(dir, "local-images.idx"), idx([]int{l.N, synth.LesionSide, synth.LesionSide}, l.Pixels)),
		writeFile(t, filepath.Join(dir, "local-labels.idx"), idx([]int{l.N}, l.Labels))
}

func evaluateImages(t *testing.T, f *fixture, images, labels string) *Evaluation {
	t.Helper()
	d, err := ReadImages(images, labels, "", &f.v.Card)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Evaluate(f.v, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestImagesSamePopulationIsNotFlagged(t *testing.T) {
	f := newImageFixture(t)
	if len(f.v.Card.Features) != 0 || f.v.Card.Distribution.Intensity == nil {
		t.Fatalf("the image card: features %v, distribution %+v", f.v.Card.Features, f.v.Card.Distribution)
	}
	images, labels := writeLesions(t, 1000, 11)
	e := evaluateImages(t, f, images, labels)
	if e.Input != "images" || e.N.N != 1000 || e.Positives.N != 500 {
		t.Fatalf("input %q, n %s, positives %s", e.Input, e.N, e.Positives)
	}
	if !e.AUROC.Estimate.Defined() || e.AUROC.Estimate < 0.75 || !e.AtCard.Sensitivity.Estimate.Defined() ||
		!e.AtCard.Specificity.Estimate.Defined() || !e.Calibration.Brier.Defined() {
		t.Fatalf("metrics: AUROC %+v, at the card's threshold %+v, calibration %+v", e.AUROC, e.AtCard, e.Calibration)
	}
	for _, c := range e.Comparison {
		if c.Outside {
			t.Fatalf("the development population flags %s: %+v", c.Metric, c)
		}
	}
	s := e.Shift
	if !s.Recorded || len(s.Features) != 0 || s.Intensity == nil || s.Intensity.Name != "pixel intensity" {
		t.Fatalf("shift of images: %+v", s)
	}
	if in := s.Intensity; in.Flag != "" || !in.PSI.Defined() || in.PSI > 0.02 || !in.SMD.Defined() || in.SMD > 0.05 || in.SMD < -0.05 {
		t.Fatalf("the development population flags its intensities: %+v", in)
	}
	if s.Prevalence.Outside || e.FlagsText() != "-" {
		t.Fatalf("flags: prevalence %+v, %s", s.Prevalence, e.FlagsText())
	}
}

// TestImagesShiftIsFlagged: the same kind of lesions, brightened by 40 grey levels and
// with two in three benign ones left out, is flagged for its intensities (PSI and SMD)
// and its prevalence, and the sensitivity the brightening costs is flagged too.
func TestImagesShiftIsFlagged(t *testing.T) {
	f := newImageFixture(t)
	l := synth.GenerateLesions(1200, 12)
	im, lb := writeIDXPair(t, l)
	base := evaluateImages(t, f, im, lb)
	shifted := &synth.Lesions{}
	for i := range l.N {
		if l.Labels[i] == 0 && i%3 != 0 {
			continue
		}
		for _, p := range l.Image(i) {
			shifted.Pixels = append(shifted.Pixels, uint8(min(255, int(p)+40)))
		}
		shifted.Labels = append(shifted.Labels, l.Labels[i])
		shifted.N++
	}
	im, lb = writeIDXPair(t, shifted)
	e := evaluateImages(t, f, im, lb)
	in := e.Shift.Intensity
	if in == nil || in.PSI < 0.25 || in.SMD < 0.3 || !strings.Contains(in.Flag, "major") || in.LocalMean <= metrics.Stat(in.DevMean+0.05) {
		t.Fatalf("intensity shift: %+v", in)
	}
	if p := e.Shift.Prevalence; !p.Outside || p.Difference < 0.2 {
		t.Fatalf("prevalence shift: %+v", p)
	}
	if !flagged(e, "prevalence") || !flagged(e, "sensitivity") || e.AtCard.Sensitivity.Estimate > base.AtCard.Sensitivity.Estimate-0.05 {
		t.Fatalf("sensitivity: %+v shifted, %+v before; comparison %+v", e.AtCard.Sensitivity, base.AtCard.Sensitivity, e.Comparison)
	}
	if e.AtCard.PPV.Estimate <= base.AtCard.PPV.Estimate {
		t.Fatalf("PPV at a higher prevalence %v, before %v", e.AtCard.PPV.Estimate, base.AtCard.PPV.Estimate)
	}
	if got := e.FlagsText(); !strings.Contains(got, "1 inputs shifted") || !strings.Contains(got, "prevalence shifted") ||
		!strings.Contains(e.MaxPSIText(), "pixel intensity") {
		t.Fatalf("matrix cells: %s, %s", got, e.MaxPSIText())
	}
	var text bytes.Buffer
	if err := e.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pixel intensity", "shift in pixel intensities: PSI", "label prevalence shift"} {
		if !strings.Contains(text.String(), want) {
			t.Fatalf("the printed report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestReadImagesNPZ: the same lesions as one split of a MedMNIST-layout archive read
// as the IDX pair does.
func TestReadImagesNPZ(t *testing.T) {
	f := newImageFixture(t)
	images, labels := writeLesions(t, 200, 13)
	want, err := ReadImages(images, labels, "", &f.v.Card)
	if err != nil {
		t.Fatal(err)
	}
	l := synth.GenerateLesions(200, 13)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, split := range []string{"train", "val", "test"} {
		for name, member := range map[string][]byte{
			split + "_images.npy": testutil.NPY("|u1", []int{l.N, synth.LesionSide, synth.LesionSide}, l.Pixels),
			split + "_labels.npy": testutil.NPY("|u1", []int{l.N, 1}, l.Labels),
		} {
			w, _ := zw.Create(name)
			_, _ = w.Write(member)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	npz := writeFile(t, filepath.Join(t.TempDir(), "lesions.npz"), zb.Bytes())
	got, err := ReadImages(npz, "", "val", &f.v.Card)
	if err != nil || !got.Images || got.N != want.N || !slices.Equal(got.X, want.X) || !slices.Equal(got.Y, want.Y) {
		t.Fatalf("npz read: %v", err)
	}
	if _, err := ReadImages(npz, "", "holdout", &f.v.Card); err == nil || !strings.Contains(err.Error(), `"holdout"`) {
		t.Fatalf("an unknown split: %v", err)
	}
}

func TestReadImagesRefusals(t *testing.T) {
	f := newImageFixture(t)
	card := &f.v.Card
	images, labels := writeLesions(t, 40, 14)
	raw, err := os.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	outside := make([]byte, 40)
	outside[3], outside[17] = 2, 7
	cases := []struct {
		name, images, labels string
		sentinel             error
		want                 []string
	}{
		{"IDX images without a labels file", images, "", nil, []string{images, "needs its IDX labels file", "--label"}},
		{"a labels file that is not there", images, filepath.Join(dir, "absent-labels"), os.ErrNotExist, []string{"absent-labels"}},
		{"labels outside the card's classes", images, writeFile(t, filepath.Join(dir, "bad-labels"), idx([]int{40}, outside)),
			ErrLabels, []string{images, "2 labels (first at image 3)", "0..1", "[benign malignant]"}},
		{"a truncated images file", writeFile(t, filepath.Join(dir, "cut-images"), raw[:len(raw)-100]), labels,
			readers.ErrTruncated, []string{"cut-images", "images file"}},
		{"a corrupt images file", writeFile(t, filepath.Join(dir, "corrupt-images"), append([]byte{0x50, 0x4b}, raw[2:]...)), labels,
			readers.ErrFormat, []string{"corrupt-images", "magic"}},
		{"fewer labels than images", images, writeFile(t, filepath.Join(dir, "short-labels"), idx([]int{39}, make([]byte, 39))),
			readers.ErrMismatch, []string{images, "short-labels", "40 images, 39 labels"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadImages(tc.images, tc.labels, "", card)
			if err == nil || (tc.sentinel != nil && !errors.Is(err, tc.sentinel)) {
				t.Fatalf("got %v, want %v", err, tc.sentinel)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("%q does not say %q", err, w)
				}
			}
		})
	}
	// The card records no image shape, so 8×8 images read; the model refuses them.
	small := writeFile(t, filepath.Join(dir, "small-images"), idx([]int{40, 8, 8}, make([]byte, 40*64)))
	d, err := ReadImages(small, labels, "", card)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Evaluate(f.v, d, Options{}); err == nil || !strings.Contains(err.Error(), "the model takes 784 per row") {
		t.Fatalf("images of the wrong size: %v", err)
	}
}

// TestNoImageValueLeaves: no pixel value of the trust's images and no image's
// predicted risk appears in the report's JSON, its signed form or its printed table.
func TestNoImageValueLeaves(t *testing.T) {
	f := newImageFixture(t)
	images, labels := writeLesions(t, 300, 15)
	d, err := ReadImages(images, labels, "", &f.v.Card)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Evaluate(f.v, d, Options{Threshold: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := onnx.Load(f.v.Files.ONNX)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := sess.Run(d.X, d.N)
	sess.Close()
	if err != nil {
		t.Fatal(err)
	}
	var values []string // every value a pixel can take, and each image's risk
	for k := range 256 {
		v := float32(k) / 255
		values = append(values, strconv.FormatFloat(float64(v), 'g', -1, 32), strconv.FormatFloat(float64(v), 'g', -1, 64))
	}
	for _, p := range probs {
		values = append(values, strconv.FormatFloat(float64(p), 'g', -1, 32))
	}
	outputs := everyOutput(t, f, e)
	checked := 0
	for name, out := range outputs {
		for _, v := range values {
			if len(v) < 7 { // 0.2, 0.6: as likely a bin edge or threshold as a pixel
				continue
			}
			checked++
			if bytes.Contains(out, []byte(v)) {
				t.Fatalf("%s holds the image-level value %s", name, v)
			}
		}
	}
	if checked < 4*500 {
		t.Fatalf("only %d values checked", checked)
	}
	r, err := release.VerifyReport(outputs["report.json"], outputs["report.sig"])
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckAgainst(f.v); err != nil {
		t.Fatal(err)
	}
	if back, err := ReadEvaluation(r); err != nil || back.Input != "images" || back.Shift.Intensity == nil {
		t.Fatalf("the signed evaluation reads back: %v", err)
	}
}
