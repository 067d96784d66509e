package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

func imageSpec(t *testing.T, format string) *deid.IngestSpec {
	t.Helper()
	spec, err := deid.ParseIngestSpec([]byte(fmt.Sprintf(
		"name: tiny-%s\ninput: {path: unused, format: %s}\nlabel: {classes: [\"a\", \"b\", \"c\"]}\n", format, format)))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// writeIDX writes an IDX uint8 file, gzipped when the name ends in .gz.
func writeIDX(t *testing.T, path string, dims []int, data []byte) {
	t.Helper()
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	out := b.Bytes()
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(out)
		_ = zw.Close()
		out = z.Bytes()
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pattern(n, size int) ([]byte, []byte) {
	px := make([]byte, n*size)
	for i := range px {
		px[i] = byte(i * 7)
	}
	labels := make([]byte, n)
	for i := range labels {
		labels[i] = byte(i % 3)
	}
	return px, labels
}

func TestIDXIngest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	px, lab := pattern(60, 16)
	writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []int{60, 4, 4}, px)
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), []int{60}, lab)
	px, lab = pattern(21, 16)
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), []int{21, 4, 4}, px)
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), []int{21}, lab)
	store := newStore(t)
	res, err := Ingest(t.Context(), Config{Spec: imageSpec(t, "idx"), InputPath: dir, Store: store, Registrar: NewLocalRegistry(store), Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Schema.Kind != shards.KindImage || fmt.Sprint(m.Schema.FeatureShape) != "[1 4 4]" || !m.Split.Predefined {
		t.Fatalf("schema %+v predefined %v", m.Schema, m.Split.Predefined)
	}
	if m.Split.Test.Records != 21 || m.Split.Train.Records+m.Split.Validation.Records != 60 || m.Split.Validation.Records == 0 {
		t.Fatalf("split %d/%d/%d", m.Split.Train.Records, m.Split.Validation.Records, m.Split.Test.Records)
	}
	if m.Stats.Axis != shards.AxisChannel || len(m.Stats.Mean) != 1 || m.GateNote == "" || res.Report.Rows != 81 {
		t.Fatalf("stats %+v, note %q, gate rows %d", m.Stats, m.GateNote, res.Report.Rows)
	}
	l, err := shards.NewLoader(t.Context(), store, m, shards.PartTest, shards.LoaderConfig{World: 1, BatchSize: 8, Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	if rows := readAll(t, l, 0); len(rows) != 21 {
		t.Fatalf("read %d test images", len(rows))
	}
}

func TestNPZIngest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tiny.npz")
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, part := range []struct {
		name string
		n    int
	}{{"train", 30}, {"val", 9}, {"test", 12}} {
		px, lab := pattern(part.n, 3*3*3)
		for name, data := range map[string][]byte{
			part.name + "_images.npy": testutil.NPY("|u1", []int{part.n, 3, 3, 3}, px),
			part.name + "_labels.npy": testutil.NPY("|u1", []int{part.n, 1}, lab),
		} {
			w, err := zw.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(data)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	store := newStore(t)
	res, err := Ingest(t.Context(), Config{Spec: imageSpec(t, "npz"), InputPath: path, Store: store, Registrar: NewLocalRegistry(store), Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Split.Train.Records != 30 || m.Split.Validation.Records != 9 || m.Split.Test.Records != 12 || !m.Split.Predefined {
		t.Fatalf("predefined split not kept: %d/%d/%d", m.Split.Train.Records, m.Split.Validation.Records, m.Split.Test.Records)
	}
	if fmt.Sprint(m.Schema.FeatureShape) != "[3 3 3]" || len(m.Stats.Mean) != 3 {
		t.Fatalf("shape %v, stats %v", m.Schema.FeatureShape, m.Stats.Mean)
	}
	if err := shards.Verify(t.Context(), store, m); err != nil {
		t.Fatal(err)
	}
}

func TestImageLabelOutOfClasses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	px, _ := pattern(4, 4)
	writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte"), []int{4, 2, 2}, px)
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), []int{4}, []byte{0, 1, 7, 2})
	store := newStore(t)
	_, err := Ingest(t.Context(), Config{Spec: imageSpec(t, "idx"), InputPath: dir, Store: store, Registrar: NewLocalRegistry(store)})
	var ie *InputError
	if !errorsAs(err, &ie) || ie.Line != 3 {
		t.Fatalf("err = %v, want label 3 out of the classes", err)
	}
}
