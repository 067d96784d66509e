package deid

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// keywordPattern is a DICOM attribute keyword (PatientSex, BodyPartExamined).
var keywordPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,63}$`)

// privateTagPattern is a private tag, with or without parentheses: the group is odd.
var privateTagPattern = regexp.MustCompile(`^\(?([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)?$`)

// maxDICOMSide bounds the resize target so a typo cannot ask for gigabytes per image.
const maxDICOMSide = 4096

// parseDICOM reads the dicom section.
func parseDICOM(v *yaml.Node) (*DICOM, error) {
	fs, err := fields(v, "dicom", "dates", "keep_private", "window", "shape", "burned_in_modalities",
		"acknowledge_burned_in", "label", "quasi_identifiers", "subgroups")
	if err != nil {
		return nil, err
	}
	d := &DICOM{Dates: DICOMDatesShift, BurnedInModalities: slices.Clone(DefaultBurnedInModalities), Line: fs.line}
	for _, key := range fs.keys {
		n, p := fs.values[key], "dicom."+key
		switch key {
		case "dates":
			d.Dates, err = scalar(n, p)
			if err == nil && d.Dates != DICOMDatesShift && d.Dates != DICOMDatesYear {
				err = specError(n.Line, p, "%q: want shift or year", d.Dates)
			}
		case "keep_private":
			d.KeepPrivate, err = stringList(n, p, func(s string) bool {
				m := privateTagPattern.FindStringSubmatch(s)
				return m != nil && oddHex(m[1])
			}, "a private tag such as (0009,0010): the group number is odd")
			for i, t := range d.KeepPrivate {
				m := privateTagPattern.FindStringSubmatch(t)
				d.KeepPrivate[i] = "(" + strings.ToUpper(m[1]) + "," + strings.ToUpper(m[2]) + ")"
			}
		case "window":
			d.Window, err = parseWindow(n)
		case "shape":
			d.Shape, err = parseShape(n)
		case "burned_in_modalities":
			d.BurnedInModalities, err = stringList(n, p, isModality, "a modality code such as US")
		case "acknowledge_burned_in":
			d.AcknowledgeBurnedIn, err = stringList(n, p, isModality, "a modality code such as US")
		case "label":
			d.Label, err = parseDICOMLabel(n)
		case "quasi_identifiers":
			d.QuasiIdentifiers, err = stringList(n, p, keywordPattern.MatchString, "an attribute keyword such as PatientSex")
		case "subgroups":
			d.Subgroups, err = stringList(n, p, keywordPattern.MatchString, "an attribute keyword such as Manufacturer")
		}
		if err != nil {
			return nil, err
		}
	}
	if _, ok := fs.values["shape"]; !ok {
		return nil, specError(fs.line, "dicom.shape", "required: [1, H, W], the size every image is resized to")
	}
	if _, ok := fs.values["label"]; !ok {
		return nil, specError(fs.line, "dicom.label", "required: {attribute: KEYWORD} or {csv: PATH, patient_column: COL, label_column: COL}")
	}
	for _, m := range d.AcknowledgeBurnedIn {
		if !slices.Contains(d.BurnedInModalities, m) {
			return nil, specError(fs.lines["acknowledge_burned_in"], "dicom.acknowledge_burned_in", "%q is not in burned_in_modalities (%s)", m, strings.Join(d.BurnedInModalities, ", "))
		}
	}
	for _, g := range d.Subgroups {
		if slices.Contains(d.QuasiIdentifiers, g) {
			continue
		}
		return nil, specError(fs.lines["subgroups"], "dicom.subgroups", "%s is kept in the shards, so it must also be one of quasi_identifiers", g)
	}
	return d, nil
}

func oddHex(group string) bool {
	var g int
	fmt.Sscanf(group, "%x", &g)
	return g%2 == 1
}

// isModality accepts a DICOM modality code: 2 to 16 upper-case letters or digits.
func isModality(s string) bool {
	if len(s) < 2 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// stringList reads a list of distinct strings each accepted by ok.
func stringList(n *yaml.Node, path string, ok func(string) bool, want string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, specError(n.Line, path, "want a list")
	}
	out := []string{}
	for i, c := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		s, err := scalar(c, p)
		if err != nil {
			return nil, err
		}
		if !ok(s) {
			return nil, specError(c.Line, p, "%q: want %s", s, want)
		}
		if slices.Contains(out, s) {
			return nil, specError(c.Line, p, "duplicate %q", s)
		}
		out = append(out, s)
	}
	return out, nil
}

func parseWindow(n *yaml.Node) (*DICOMWindow, error) {
	fs, err := fields(n, "dicom.window", "center", "width")
	if err != nil {
		return nil, err
	}
	w := &DICOMWindow{}
	for _, key := range []string{"center", "width"} {
		v, ok := fs.values[key]
		if !ok {
			return nil, specError(fs.line, "dicom.window."+key, "required")
		}
		f, err := decodeScalar[float64](v, "dicom.window."+key, "a number")
		if err != nil {
			return nil, err
		}
		if key == "center" {
			w.Center = f
		} else {
			w.Width = f
		}
	}
	if !(w.Width >= 1) {
		return nil, specError(fs.lines["width"], "dicom.window.width", "%g: want at least 1", w.Width)
	}
	return w, nil
}

func parseShape(n *yaml.Node) ([3]int, error) {
	var s [3]int
	if n.Kind != yaml.SequenceNode || len(n.Content) != 3 {
		return s, specError(n.Line, "dicom.shape", "want [1, H, W]")
	}
	for i, c := range n.Content {
		v, err := decodeScalar[int](c, fmt.Sprintf("dicom.shape[%d]", i), "an integer")
		if err != nil {
			return s, err
		}
		s[i] = v
	}
	if s[0] != 1 {
		return s, specError(n.Line, "dicom.shape", "%d channels: DICOM images are ingested as one channel, want [1, H, W]", s[0])
	}
	if s[1] < 1 || s[2] < 1 || s[1] > maxDICOMSide || s[2] > maxDICOMSide {
		return s, specError(n.Line, "dicom.shape", "H and W must be 1..%d", maxDICOMSide)
	}
	return s, nil
}

func parseDICOMLabel(n *yaml.Node) (DICOMLabel, error) {
	var l DICOMLabel
	fs, err := fields(n, "dicom.label", "attribute", "csv", "patient_column", "label_column")
	if err != nil {
		return l, err
	}
	for _, key := range fs.keys {
		p := "dicom.label." + key
		var s string
		if s, err = scalar(fs.values[key], p); err != nil {
			return l, err
		}
		if s == "" {
			return l, specError(fs.lines[key], p, "empty")
		}
		switch key {
		case "attribute":
			if !keywordPattern.MatchString(s) {
				return l, specError(fs.lines[key], p, "%q: want an attribute keyword", s)
			}
			l.Attribute = s
		case "csv":
			l.CSV = s
		case "patient_column":
			l.PatientColumn = s
		case "label_column":
			l.LabelColumn = s
		}
	}
	csvGiven := l.CSV != "" || l.PatientColumn != "" || l.LabelColumn != ""
	switch {
	case l.Attribute != "" && csvGiven:
		return l, specError(fs.line, "dicom.label", "either attribute or csv, not both")
	case l.Attribute == "" && !csvGiven:
		return l, specError(fs.line, "dicom.label", "want attribute, or csv with patient_column and label_column")
	case csvGiven && (l.CSV == "" || l.PatientColumn == "" || l.LabelColumn == ""):
		return l, specError(fs.line, "dicom.label", "a label csv needs csv, patient_column and label_column")
	case csvGiven && l.PatientColumn == l.LabelColumn:
		return l, specError(fs.lines["label_column"], "dicom.label.label_column", "the same column as patient_column")
	}
	return l, nil
}
