package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync/atomic"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/gate"
	"github.com/dxtrain/dxtrain/datasets/shards"
)

// DICOM input is de-identified file by file as package dicom parses it; the
// ingest keeps of each file only the resized pixels, the pseudonymous patient,
// the label and subgroup attributes, and hands the text attributes to the
// gate. Nothing is written until the gate has seen every file.

// dicomCorpus is a DICOM tree read and resized, held for the gate's verdict.
type dicomCorpus struct {
	h, w      int
	x         []float32 // files × h×w
	patients  []string  // per file: the pseudonym ("" when raw)
	labels    []string  // per file: the label attribute's value ("" when labels come from a CSV)
	quasi     [][]string
	subgroups [][]string // per spec subgroup, per file
	files     int
	bytes     int64
	sha       string // SHA-256 of the files' SHA-256s, in read order
}

// gateDICOM reads a DICOM tree, de-identifies it, runs the gate over its text
// attributes, burned-in text and per-patient quasi-identifiers, and when it
// passes labels and splits it by patient.
func gateDICOM(ctx context.Context, cfg *Config, path string) (*prepared, *gate.Report, shards.Source, error) {
	spec := cfg.Spec
	d := spec.DICOM
	var (
		key []byte
		ps  *deid.Pseudonymiser
		err error
	)
	if !cfg.DICOMRaw {
		if key, err = deid.LoadKeyBytes(spec.ResolveKeyFile(cfg.KeyPath)); err != nil {
			return nil, nil, shards.Source{}, fmt.Errorf("ingest: %w", err)
		}
		defer clear(key)
		if ps, err = deid.NewPseudonymiser(key); err != nil {
			return nil, nil, shards.Source{}, fmt.Errorf("ingest: %w", err)
		}
	}
	at := &gate.AttributeTable{K: cfg.K, Deidentified: !cfg.DICOMRaw, Dates: d.Dates}
	burned := &gate.BurnedIn{Refused: d.BurnedInRefused}
	c, err := readDICOMCorpus(ctx, cfg, path, key, at, burned)
	if err != nil {
		return nil, nil, shards.Source{}, err
	}
	src := shards.Source{SHA256: c.sha, Format: string(deid.FormatDICOM), Bytes: c.bytes, Records: int64(c.files)}
	rep, err := gate.Check(ctx, at.Table())
	if err != nil {
		return nil, nil, src, fmt.Errorf("ingest: %w", err)
	}
	rep.Findings = append(rep.Findings, burned.Findings()...)
	if len(d.QuasiIdentifiers) > 0 && !cfg.DICOMRaw {
		qrep, err := gate.Check(ctx, c.quasiTable(d.QuasiIdentifiers, cfg.K))
		if err != nil {
			return nil, nil, src, fmt.Errorf("ingest: %w", err)
		}
		rep.Findings = append(rep.Findings, qrep.Findings...)
	}
	rep.Passed = len(rep.Findings) == 0
	if !rep.Passed {
		return nil, rep, src, nil
	}
	if cfg.DICOMRaw {
		return nil, nil, src, fmt.Errorf("ingest: %w: a raw DICOM read passed the gate, but raw files are never sharded", ErrConfig)
	}
	y, err := dicomLabels(spec, cfg.specDir, c, ps)
	if err != nil {
		return nil, rep, src, fmt.Errorf("ingest: %w", err)
	}
	p, err := prepareDICOM(spec, c, y, cfg.Seed, cfg.Fractions)
	if err != nil {
		return nil, rep, src, fmt.Errorf("ingest: %w", err)
	}
	return p, rep, src, nil
}

// readDICOMCorpus reads every file once: attributes to the gate's tables,
// pixels resized into the corpus. Reading, hashing, parsing and
// de-identification run in package dicom (on a goroutine per core, handed back
// in path order); resizing and collecting each file run on one more goroutine,
// in that order, so the two overlap.
func readDICOMCorpus(ctx context.Context, cfg *Config, path string, key []byte, at *gate.AttributeTable, burned *gate.BurnedIn) (*dicomCorpus, error) {
	d := cfg.Spec.DICOM
	c := &dicomCorpus{h: d.Shape[1], w: d.Shape[2], quasi: make([][]string, len(d.QuasiIdentifiers)), subgroups: make([][]string, len(d.Subgroups))}
	sums := sha256.New()
	work := make(chan *dicomInstance, 8)
	done := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		for in := range work {
			if err == nil {
				if err = c.add(in, d, at, burned, sums); err != nil {
					failed.Store(true)
				}
			}
		}
		done <- err
	}()
	n := 0
	files, size, err := readDICOM(path, d, key, cfg.DICOMRaw, func(in *dicomInstance) error {
		if n++; n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if failed.Load() {
			return errStopped
		}
		work <- in
		return nil
	})
	close(work)
	if werr := <-done; werr != nil {
		err = werr
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: read dicom: %w", err)
	}
	if files == 0 {
		return nil, fmt.Errorf("ingest: %w: no DICOM files under the input path", ErrInput)
	}
	c.bytes = size
	c.sha = hex.EncodeToString(sums.Sum(nil))
	return c, nil
}

// errStopped ends the read early once collecting a file has failed; that
// failure is the one reported.
var errStopped = errors.New("stopped")

// add collects one file: its hash, its attributes for the gate, what the spec
// keeps of it, and its pixels resized.
func (c *dicomCorpus) add(in *dicomInstance, d *deid.DICOM, at *gate.AttributeTable, burned *gate.BurnedIn, sums hash.Hash) error {
	c.files++
	if len(in.pixels) != in.rows*in.cols || in.rows < 1 || in.cols < 1 {
		return fmt.Errorf("%w: file %d: %d pixels for %d×%d", ErrInput, c.files, len(in.pixels), in.rows, in.cols)
	}
	// The reader hashed the bytes it parsed: one read per file, and the
	// manifest's hash is of what was ingested even if a file changes after.
	sums.Write(in.sha256[:])
	at.Add(in.attrs)
	burned.Add(in.burnedInAnnotation, in.modality)
	c.patients = append(c.patients, in.patient)
	if d.Label.Attribute != "" {
		c.labels = append(c.labels, attributeValue(in.attrs, d.Label.Attribute))
	}
	for i, k := range d.QuasiIdentifiers {
		c.quasi[i] = append(c.quasi[i], attributeValue(in.attrs, k))
	}
	for i, k := range d.Subgroups {
		c.subgroups[i] = append(c.subgroups[i], attributeValue(in.attrs, k))
	}
	off := len(c.x)
	c.x = append(c.x, make([]float32, c.h*c.w)...)
	resizeArea(c.x[off:], in.pixels, in.rows, in.cols, c.h, c.w)
	return nil
}

// attributeValue is the value of the top-level attribute with the keyword, trimmed.
func attributeValue(attrs []gate.Attribute, keyword string) string {
	for _, a := range attrs {
		if a.Keyword == keyword && !strings.Contains(a.Tag, ">") {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// quasiTable is one row per patient (their first file's values) of the
// quasi-identifiers: k-anonymity counts people, not images, so a patient with
// forty slices is still one member of their group. The values were scanned with
// the other attributes; here they are only counted.
func (c *dicomCorpus) quasiTable(keywords []string, k int) *gate.Table {
	t := &gate.Table{K: k}
	for _, kw := range keywords {
		t.Header = append(t.Header, kw)
		t.Columns = append(t.Columns, gate.Column{Role: string(deid.RoleQuasiIdentifier), Transformed: true, QuasiIdentifier: true})
	}
	seen := map[string]bool{}
	for f, p := range c.patients {
		if seen[p] {
			continue
		}
		seen[p] = true
		row := make([]string, len(keywords))
		for i := range keywords {
			row[i] = c.quasi[i][f]
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
