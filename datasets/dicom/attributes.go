package dicom

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Attribute is one data element left in a file (after de-identification
// unless Raw), in text form for the gate.
type Attribute struct {
	Tag     string // "(0010,0010)"; in a sequence item, "(0040,0275)>(0032,1060)"
	Keyword string // "PatientName" ("" for private or unknown tags)
	VR      string
	// Value is the values joined by "\\"; binary VRs (OB, OW, …), pixel
	// data and sequences themselves are "" (a sequence's items appear as
	// their own attributes under its path). A UN value (private tags in
	// implicit VR files, tags unknown to the writer) that is printable text
	// is shown as text, so the gate can see a name hidden there.

	Value string
}

// attributes flattens elems (sequences into paths) and sorts by tag path.
func attributes(elems []*dcm.Element) []Attribute {
	var out []Attribute
	flatten(elems, "", 0, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}

func flatten(elems []*dcm.Element, prefix string, depth int, out *[]Attribute) {
	for _, e := range elems {
		if e == nil || e.Value == nil {
			continue
		}
		path := prefix + tagString(e.Tag)
		a := Attribute{Tag: path, VR: e.RawValueRepresentation}
		if e.Tag.Group%2 == 0 {
			if info, err := tag.Find(e.Tag); err == nil {
				a.Keyword = info.Keyword
			}
		}
		switch v := e.Value.GetValue().(type) {
		case []string:
			a.Value = strings.Join(v, `\`)
		case []int:
			s := make([]string, len(v))
			for i, x := range v {
				s[i] = strconv.Itoa(x)
			}
			a.Value = strings.Join(s, `\`)
		case []byte:
			if a.VR == "UN" {
				a.Value = printable(v)
			}
		case []float64:
			s := make([]string, len(v))
			for i, x := range v {
				s[i] = strconv.FormatFloat(x, 'g', -1, 64)
			}
			a.Value = strings.Join(s, `\`)
		}
		*out = append(*out, a)
		if depth < maxDepth {
			for _, it := range items(e) {
				flatten(it, path+">", depth+1, out)
			}
		}
	}
}

// printable returns b as text when it is printable UTF-8 once NUL and space
// padding is trimmed, else "".
func printable(b []byte) string {
	s := strings.TrimRight(string(b), " \x00")
	if s == "" || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != 0x1b || r == 0x7f {
			return ""
		}
	}
	return s
}
