package gate

import (
	"strings"
)

// Image files carry text beside their pixels: DICOM data elements. The gate sees
// them as a table with one column per attribute (its tag path and keyword, say
// "(0010,0010) PatientName") and one row per file, so a finding names the
// attribute and counts files, as a CSV finding names a column and counts rows.

// Roles of attribute columns, beside the ingest spec's.
const (
	// RolePersonName is an attribute of value representation PN: every value in it
	// is a person's name by definition, whether or not the gazetteer knows it. Only
	// a pseudonym may be left there.
	RolePersonName = "person_name"
	// RoleShiftedDate is a date (DA, DT) that de-identification moved by a keyed
	// per-patient offset: still a full date, but no longer anyone's.
	RoleShiftedDate = "shifted_date"
	// RoleYearDate is a date de-identification reduced to 1 January of its year.
	RoleYearDate = "year_date"
	// RoleUID is a UID (UI) that de-identification remapped to a keyed one.
	RoleUID = "uid"
)

// Attribute is one text data element of an image file, after de-identification
// unless the table is raw. Tag is its tag path ("(0008,1140)>(0008,1155)" inside a
// sequence), VR its value representation.
type Attribute struct {
	Tag, Keyword, VR, Value string
}

// AttributeTable collects the attributes of many files into a gate table.
type AttributeTable struct {
	// Deidentified says the attributes went through de-identification with dates
	// handled as Dates ("shift" or "year"): remapped UIDs, moved dates and pseudonyms
	// are then checked for their form instead of scanned. A raw table is scanned
	// whole.
	Deidentified bool
	Dates        string
	K            int

	index map[string]int
	names []string
	vrs   []string
	cols  [][]string // per column, one cell per file added so far ("" when absent)
	files int
}

// Add appends one file's attributes as a row.
func (t *AttributeTable) Add(attrs []Attribute) {
	if t.index == nil {
		t.index = map[string]int{}
	}
	for _, a := range attrs {
		name := a.Tag
		if a.Keyword != "" {
			name += " " + a.Keyword
		}
		c, ok := t.index[name]
		if !ok {
			c = len(t.names)
			t.index[name] = c
			t.names = append(t.names, name)
			t.vrs = append(t.vrs, a.VR)
			t.cols = append(t.cols, make([]string, t.files, t.files+1))
		}
		v := attributeText(a.VR, a.Value)
		if cell := t.cols[c]; len(cell) > t.files { // the tag again in one file: keep both
			cell[t.files] += `\` + v
			continue
		}
		t.cols[c] = append(t.cols[c], v)
	}
	t.files++
	for c := range t.cols {
		if len(t.cols[c]) < t.files {
			t.cols[c] = append(t.cols[c], "")
		}
	}
}

// Files is the number of files added.
func (t *AttributeTable) Files() int { return t.files }

// Table is the gate table of the files added: attributes empty in every file are
// left out (they carry nothing, and an empty PatientName would trip the header rule).
func (t *AttributeTable) Table() *Table {
	out := &Table{K: t.K, Rows: make([][]string, t.files)}
	var keep []int
	for c, cells := range t.cols {
		if nonEmpty(cells) {
			keep = append(keep, c)
			out.Header = append(out.Header, t.names[c])
			out.Columns = append(out.Columns, t.column(c))
		}
	}
	for r := range out.Rows {
		row := make([]string, len(keep))
		for j, c := range keep {
			row[j] = t.cols[c][r]
		}
		out.Rows[r] = row
	}
	return out
}

// column declares what de-identification did to the attribute, so that the gate
// checks the form of its output rather than scanning it. Nothing is declared for a
// raw table, and a date in a birth-date context is always scanned.
func (t *AttributeTable) column(c int) Column {
	vr, cells := t.vrs[c], t.cols[c]
	if !t.Deidentified {
		if vr == "PN" {
			return Column{Role: RolePersonName}
		}
		return Column{}
	}
	if all(cells, isPseudonym) {
		return Column{Role: RoleIdentifier, Transformed: true}
	}
	switch vr {
	case "PN":
		return Column{Role: RolePersonName}
	case "UI":
		return Column{Role: RoleUID, Transformed: true}
	case "DA", "DT":
		if headerContext(t.names[c]).dob {
			return Column{}
		}
		if t.Dates == "year" {
			return Column{Role: RoleYearDate, Transformed: true}
		}
		return Column{Role: RoleShiftedDate, Transformed: true}
	}
	return Column{}
}

// attributeText is the value as the content rules should read it: DICOM's
// compact dates (19750305) written as dates (1975-03-05), and a person name's
// components (SMITH^JOHN^^DR) as words. Other values are unchanged.
func attributeText(vr, v string) string {
	switch vr {
	case "DA", "DT":
		vals := strings.Split(v, `\`)
		for i, d := range vals {
			d = strings.TrimSpace(d)
			if len(d) >= 8 && isBareDigits(d[:8]) {
				vals[i] = d[:4] + "-" + d[4:6] + "-" + d[6:8] + d[8:]
			}
		}
		return strings.Join(vals, `\`)
	case "PN":
		return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == '^' || r == '=' || r == ' ' }), " ")
	}
	return v
}

func nonEmpty(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return true
		}
	}
	return false
}

// all reports whether every non-empty cell satisfies ok.
func all(cells []string, ok func(string) bool) bool {
	for _, c := range cells {
		if c != "" && !ok(c) {
			return false
		}
	}
	return true
}
