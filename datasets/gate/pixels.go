package gate

import (
	"fmt"
	"slices"
	"strings"
)

// No text scan reaches into pixels, so the gate refuses image files that may
// show a name or date burned into the image: those that say so
// (BurnedInAnnotation YES) and those of modalities known to carry such text
// (ultrasound, angiography, screen captures) unless someone has checked them.

// Rules on the pixels' text.
const (
	RuleBurnedInAnnotation = "burned_in_annotation" // BurnedInAnnotation is YES
	RuleBurnedInModality   = "burned_in_modality"   // a modality known to carry burned-in text, not acknowledged
)

// Report columns of the burned-in rules: the attributes they read.
const (
	BurnedInAnnotationColumn = "(0028,0301) BurnedInAnnotation"
	ModalityColumn           = "(0008,0060) Modality"
)

// BurnedIn tallies the files whose pixels may carry identifying text.
type BurnedIn struct {
	// Refused reports whether files of a modality are refused (listed as carrying
	// burned-in text and not acknowledged).
	Refused func(modality string) bool

	files      int
	annotation tally
	modality   map[string]*tally
}

// Add records one file (1-based record numbers follow the order of Add).
func (b *BurnedIn) Add(burnedInAnnotation, modality string) {
	b.files++
	if strings.EqualFold(strings.TrimSpace(burnedInAnnotation), "YES") {
		b.annotation.add(b.files)
	}
	m := strings.TrimSpace(modality)
	if b.Refused != nil && b.Refused(m) {
		if b.modality == nil {
			b.modality = map[string]*tally{}
		}
		if b.modality[m] == nil {
			b.modality[m] = &tally{}
		}
		b.modality[m].add(b.files)
	}
}

// Findings are the burned-in findings, annotation first, then by modality.
// A modality is a code from the standard's short list, never patient data, so
// the detail names it.
func (b *BurnedIn) Findings() []Finding {
	var out []Finding
	if b.annotation.count > 0 {
		out = append(out, b.annotation.finding(RuleBurnedInAnnotation, BurnedInAnnotationColumn,
			"the file says its pixels carry burned-in text (BurnedInAnnotation YES): text in pixels cannot be scanned"))
	}
	mods := make([]string, 0, len(b.modality))
	for m := range b.modality {
		mods = append(mods, m)
	}
	slices.Sort(mods)
	for _, m := range mods {
		out = append(out, b.modality[m].finding(RuleBurnedInModality, ModalityColumn,
			fmt.Sprintf("modality %s often carries burned-in text; check the pixels and acknowledge it (acknowledge_burned_in) or leave these files out", safeModality(m))))
	}
	return out
}

// safeModality is the modality if it has the form of a modality code, else a
// placeholder. Refused only accepts the spec's listed modalities, so m is
// normally the spec's own text; the check keeps a permissive Refused from
// carrying a file's value into the report.
func safeModality(m string) string {
	if len(m) < 2 || len(m) > 8 {
		return "(malformed)"
	}
	for i := 0; i < len(m); i++ {
		if !isUpper(m[i]) && !isDigit(m[i]) {
			return "(malformed)"
		}
	}
	return m
}
