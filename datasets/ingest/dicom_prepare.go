package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/datasets/shards"
)

// dicomLabels is each file's class index: from its label attribute, or from
// the label CSV by patient. The CSV's patient IDs are pseudonymised as each
// line is read, so the original IDs are held only while a line is parsed.
// Errors name files by number and CSV lines by number, never a value.
func dicomLabels(spec *deid.IngestSpec, specDir string, c *dicomCorpus, ps *deid.Pseudonymiser) ([]int32, error) {
	classes := map[string]int32{}
	for i, cl := range spec.Label.Classes {
		classes[cl] = int32(i)
	}
	y := make([]int32, c.files)
	l := spec.DICOM.Label
	if l.Attribute != "" {
		for f, v := range c.labels {
			cls, ok := classes[v]
			if !ok {
				return nil, inputError("dicom", f+1, l.Attribute, fmt.Errorf("%w: not one of the %d declared classes", datasets.ErrUnknownLabel, len(classes)))
			}
			y[f] = cls
		}
		return y, nil
	}
	path := l.CSV
	if specDir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(specDir, path)
	}
	byPatient, err := readLabelCSV(path, l, classes, ps)
	if err != nil {
		return nil, err
	}
	for f, p := range c.patients {
		cls, ok := byPatient[p]
		if !ok {
			return nil, inputError("dicom", f+1, l.PatientColumn, fmt.Errorf("%w: the file's patient has no row in the label csv", datasets.ErrUnknownLabel))
		}
		y[f] = cls
	}
	return y, nil
}

// readLabelCSV maps each patient's pseudonym to their class.
func readLabelCSV(path string, l deid.DICOMLabel, classes map[string]int32, ps *deid.Pseudonymiser) (map[string]int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: label csv: %w", ErrInput, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: label csv %s: header: %w", ErrInput, path, err)
	}
	pc, lc := slices.Index(header, l.PatientColumn), slices.Index(header, l.LabelColumn)
	if pc < 0 || lc < 0 {
		return nil, fmt.Errorf("%w: label csv %s: want columns %q and %q in the header", ErrInput, path, l.PatientColumn, l.LabelColumn)
	}
	out := map[string]int32{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			// csv's ParseError quotes no field, only positions.
			return nil, fmt.Errorf("%w: label csv %s: %w", ErrInput, path, err)
		}
		p := ps.Pseudonymise(rec[pc])
		if p == "" {
			return nil, inputError(path, line, l.PatientColumn, errors.New("empty patient id"))
		}
		cls, ok := classes[rec[lc]]
		if !ok {
			return nil, inputError(path, line, l.LabelColumn, fmt.Errorf("%w: not one of the %d declared classes", datasets.ErrUnknownLabel, len(classes)))
		}
		if prev, dup := out[p]; dup && prev != cls {
			return nil, inputError(path, line, l.LabelColumn, errors.New("the patient has another label on an earlier line"))
		}
		out[p] = cls
	}
	return out, nil
}

// prepareDICOM splits by patient, stratified by each patient's class (their
// first file's), so that no patient's images are in two parts: images of one
// person are near-duplicates, and a model tested on a patient it trained on is
// scored on memory.
func prepareDICOM(spec *deid.IngestSpec, c *dicomCorpus, y []int32, seed uint64, fracs [3]float64) (*prepared, error) {
	d := spec.DICOM
	index := map[string]int{}
	var patientY []int32
	patientOf := make([]int, c.files)
	for f, p := range c.patients {
		i, ok := index[p]
		if !ok {
			i = len(patientY)
			index[p] = i
			patientY = append(patientY, y[f])
		}
		patientOf[f] = i
	}
	sp, err := datasets.StratifiedSplit(patientY, len(spec.Label.Classes), fracs[0], fracs[1], fracs[2], seed)
	if err != nil {
		return nil, fmt.Errorf("%w: split by patient: %w", ErrConfig, err)
	}
	partOf := make([]int, len(patientY))
	for part, ps := range [3][]int{sp.Train, sp.Validation, sp.Test} {
		for _, i := range ps {
			partOf[i] = part
		}
	}
	p := &prepared{transforms: dicomTransforms(d), patients: true, records: int64(c.files)}
	p.split = shards.Split{Seed: seed, Fractions: fracs}
	p.schema = shards.Schema{Kind: shards.KindImage, FeatureShape: []int{1, c.h, c.w}, LabelColumn: "label", Classes: slices.Clone(spec.Label.Classes)}
	p.columns = []shards.Column{
		{Name: "image", Source: "(7FE0,0010) PixelData", Role: string(deid.RoleFeature), Stored: shards.TensorFeatures},
		{Name: "label", Source: dicomLabelSource(d.Label), Role: string(deid.RoleLabel), Stored: shards.TensorLabels},
		{Name: "patient", Source: "(0010,0020) PatientID", Role: string(deid.RoleIdentifier), Transformed: true, Stored: shards.TensorPatients},
	}
	codes := make([]map[string]int32, len(d.Subgroups))
	for i, name := range d.Subgroups {
		vals := slices.Clone(c.subgroups[i])
		slices.Sort(vals)
		vals = slices.Compact(vals)
		codes[i] = map[string]int32{}
		for j, v := range vals {
			codes[i][v] = int32(j)
		}
		p.subgroups = append(p.subgroups, shards.Subgroup{Name: name, Codes: vals})
		p.columns = append(p.columns, shards.Column{Name: name, Source: name, Role: string(deid.RoleSubgroup), QuasiIdentifier: true,
			Stored: shards.TensorSubgroupPrefix + name})
	}
	hw := c.h * c.w
	for part := range p.parts {
		p.parts[part] = &shards.Records{X: []float32{}, Y: []int32{}, Subgroups: make([][]int32, len(d.Subgroups)), Patients: []string{}}
		for g := range d.Subgroups {
			p.parts[part].Subgroups[g] = []int32{}
		}
	}
	for f := range c.files {
		r := p.parts[partOf[patientOf[f]]]
		r.X = append(r.X, c.x[f*hw:(f+1)*hw]...)
		r.Y = append(r.Y, y[f])
		r.Patients = append(r.Patients, c.patients[f])
		for g := range d.Subgroups {
			r.Subgroups[g] = append(r.Subgroups[g], codes[g][c.subgroups[g][f]])
		}
	}
	train := p.parts[0]
	p.stats = channelStats(&readers.Images{N: train.Len(), C: 1, H: c.h, W: c.w, X: train.X, Y: train.Y})
	p.gateNote = fmt.Sprintf("dicom input de-identified by DICOM PS3.15 Annex E (dates: %s; %d private tags kept): the gate scanned every text attribute left, "+
		"one column per attribute and one row per file; it refused files declaring burned-in annotation and, unless acknowledged, the modalities %v; "+
		"k-anonymity counted patients, not files. It cannot see text burned into the pixels of files that do not declare it.",
		d.Dates, len(d.KeepPrivate), d.BurnedInModalities)
	return p, nil
}

func dicomLabelSource(l deid.DICOMLabel) string {
	if l.Attribute != "" {
		return l.Attribute
	}
	return "csv:" + l.LabelColumn
}

// dicomTransforms records in the manifest what de-identification did.
func dicomTransforms(d *deid.DICOM) []deid.Transform {
	dates := "dicom_dates_shift_keyed"
	if d.Dates == deid.DICOMDatesYear {
		dates = "dicom_dates_year"
	}
	return []deid.Transform{
		{Column: "dicom", Role: deid.RoleIdentifier, Output: "(0010,0020) PatientID", Method: deid.MethodHMAC},
		{Column: "dicom", Role: deid.RoleEventDate, Output: "DA/DT attributes", Method: dates},
		{Column: "dicom", Role: deid.RoleDrop, Method: "dicom_ps3.15_annex_e_basic_profile"},
	}
}
