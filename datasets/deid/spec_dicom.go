package deid

import "slices"

// FormatDICOM is a directory tree of DICOM files (Part 10), de-identified by
// the Basic Application Level Confidentiality Profile (PS3.15 Annex E) as it
// is read; the spec's dicom section says how.
const FormatDICOM Format = "dicom"

// DICOM date options: shift every date of a patient by the same keyed offset
// (intervals between a patient's studies survive), or keep the year only.
const (
	DICOMDatesShift = "shift"
	DICOMDatesYear  = "year"
)

// DefaultBurnedInModalities are the modalities whose pixels commonly carry
// burned-in text (patient name, date of birth on the image itself) whatever
// BurnedInAnnotation says: ultrasound, X-ray angiography, secondary capture,
// other, endoscopy. Their files are refused unless the spec acknowledges the
// modality, because no text scan reaches into pixels.
var DefaultBurnedInModalities = []string{"US", "XA", "SC", "OT", "ES"}

// DICOM is the dicom section of an ingest spec.
type DICOM struct {
	// Dates is DICOMDatesShift (default) or DICOMDatesYear.
	Dates string
	// KeepPrivate lists private tags to keep, as "(GGGG,EEEE)" (the spec may
	// leave out the parentheses); every other private element is removed.
	KeepPrivate []string
	// Window is the VOI window applied before scaling to [0,1]; nil uses the
	// file's own window, or its full range.
	Window *DICOMWindow
	// Shape is [1, H, W]: every image is resized to H×W, one channel.
	Shape [3]int
	// BurnedInModalities are refused unless acknowledged (DefaultBurnedInModalities
	// when the spec gives none).
	BurnedInModalities []string
	// AcknowledgeBurnedIn lists modalities of BurnedInModalities whose pixels
	// someone has checked for burned-in text; none by default.
	AcknowledgeBurnedIn []string
	Label               DICOMLabel
	// QuasiIdentifiers are attribute keywords (PatientSex, PatientAge) whose
	// combination, one row per patient, must be shared by at least k patients.
	QuasiIdentifiers []string
	// Subgroups are attribute keywords kept in the shards for evaluation by subgroup.
	Subgroups []string
	Line      int
}

// DICOMWindow is a VOI window: centre and width in stored-value units after rescale.
type DICOMWindow struct{ Center, Width float64 }

// DICOMLabel says where each file's class comes from: an attribute of the file,
// or a CSV keyed by the original PatientID. The CSV's patient IDs are
// pseudonymised with the ingest key as they are read, so the mapping file need
// not be kept beside the dataset and nothing keyed by a real ID is stored.
type DICOMLabel struct {
	Attribute     string
	CSV           string
	PatientColumn string
	LabelColumn   string
}

// BurnedInRefused reports whether files of the modality are refused for
// possible burned-in text: the modality is listed and not acknowledged.
func (d *DICOM) BurnedInRefused(modality string) bool {
	return slices.Contains(d.BurnedInModalities, modality) && !slices.Contains(d.AcknowledgeBurnedIn, modality)
}
