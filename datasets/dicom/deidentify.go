package dicom

import (
	"fmt"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Attributes this package sets on every de-identified data set.
var (
	tagPatientIdentityRemoved      = tag.Tag{Group: 0x0012, Element: 0x0062}
	tagDeidentificationMethod      = tag.Tag{Group: 0x0012, Element: 0x0063}
	tagDeidentificationMethodCodes = tag.Tag{Group: 0x0012, Element: 0x0064}
	tagLongitudinalModified        = tag.Tag{Group: 0x0028, Element: 0x0303}
)

// Deidentify applies the Basic Profile (profile.go) with the options to one
// parsed dataset, in place: private tags removed unless kept, table actions
// applied through sequences, UIDs remapped, dates modified, the patient
// replaced by the pseudonym, and the de-identification recorded in
// PatientIdentityRemoved, DeidentificationMethod and its code sequence.
// Options.Raw is refused: a raw read does not call this.
func Deidentify(ds *dcm.Dataset, opts Options) error {
	if opts.Raw {
		return fmt.Errorf("%w: Deidentify with Raw set", ErrOptions)
	}
	s, err := opts.settings()
	if err != nil {
		return err
	}
	return s.deidentify(ds)
}

// deidentifier carries one data set's per-patient values.
type deidentifier struct {
	s         *settings
	offset    int    // days, DatesShift
	pseudonym string // of the original PatientID
}

func (s *settings) deidentify(ds *dcm.Dataset) error {
	pid := firstString(ds.Elements, tag.PatientID)
	d := &deidentifier{s: s, offset: s.dayOffset(pid), pseudonym: s.pseudo.Pseudonymise(pid)}
	elems, err := d.elements(ds.Elements)
	if err != nil {
		return err
	}
	shift := s.Dates == DatesShift
	method := []string{"DICOM PS3.15 E.1-1 Basic Application Confidentiality Profile"}
	codes := []string{"113100", "Basic Application Confidentiality Profile"}
	if shift {
		method = append(method, "Retain Longitudinal Temporal Info: Modified Dates (keyed)")
		codes = append(codes, "113107", "Retain Longitudinal Temporal Information Modified Dates Option")
	} else {
		method = append(method, "Dates reduced to 1 January of their year")
	}
	method = append(method, "Retain Patient Characteristics: sex; age in decades only")
	codes = append(codes, "113108", "Retain Patient Characteristics Option")
	method = append(method, fmt.Sprintf("Private attributes removed except %d kept", len(s.KeepPrivate)))
	var codeItems [][]*dcm.Element
	for i := 0; i < len(codes); i += 2 {
		codeItems = append(codeItems, []*dcm.Element{
			newElement(tag.CodeValue, []string{codes[i]}),
			newElement(tag.CodingSchemeDesignator, []string{"DCM"}),
			newElement(tag.CodeMeaning, []string{codes[i+1]}),
		})
	}
	elems = setElement(elems, newElement(tagPatientIdentityRemoved, []string{"YES"}))
	elems = setElement(elems, newElement(tagDeidentificationMethod, method))
	elems = setElement(elems, newElement(tagDeidentificationMethodCodes, codeItems))
	elems = setElement(elems, newElement(tagLongitudinalModified, []string{"MODIFIED"}))
	sortElements(elems)
	ds.Elements = elems
	return nil
}

// elements returns the de-identified copy of one data set's elements (the
// top level or a sequence item).
func (d *deidentifier) elements(in []*dcm.Element) ([]*dcm.Element, error) {
	out := make([]*dcm.Element, 0, len(in))
	for _, e := range in {
		if e == nil || e.Value == nil {
			continue
		}
		ne, err := d.element(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tagString(e.Tag), err)
		}
		if ne != nil {
			out = append(out, ne)
		}
	}
	return out, nil
}

// element returns the de-identified element, or nil to remove it.
func (d *deidentifier) element(e *dcm.Element) (*dcm.Element, error) {
	t := e.Tag
	if t.Group%2 == 1 {
		if !d.s.keepPrivate[t] {
			return nil, nil
		}
		return e, nil
	}
	act, _ := profileAction(t)
	if act == actRemove {
		return nil, nil
	}
	vr := e.RawValueRepresentation
	switch act {
	case actPatient:
		return withValue(e, []string{d.pseudonym})
	case actAge:
		return d.mapStrings(e, ageBand)
	case actUID:
		return d.mapStrings(e, d.s.remapUID)
	}
	year := d.s.Dates == DatesYear
	switch vr {
	case "DA":
		return d.mapStrings(e, func(v string) string { return shiftDA(v, d.offset, year) })
	case "DT":
		return d.mapStrings(e, func(v string) string { return shiftDT(v, d.offset, year) })
	case "TM":
		if !year {
			return e, nil
		}
	}
	switch act {
	case actEmpty, actDummy:
		return emptied(e)
	}
	if its := items(e); its != nil {
		var kept [][]*dcm.Element
		for _, it := range its {
			ne, err := d.elements(it)
			if err != nil {
				return nil, err
			}
			kept = append(kept, ne)
		}
		if kept == nil {
			kept = [][]*dcm.Element{}
		}
		return withValue(e, kept)
	}
	return e, nil
}

// mapStrings applies f to every string value of e; a non-string value is
// emptied (it cannot be mapped, so it is not kept).
func (d *deidentifier) mapStrings(e *dcm.Element, f func(string) string) (*dcm.Element, error) {
	vs := stringsOf(e)
	if vs == nil {
		return emptied(e)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return withValue(e, out)
}
