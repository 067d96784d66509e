package dicom

import (
	"sort"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Helpers over the library's element values that never panic: the
// library's MustGet… functions do on an unexpected type.

// stringsOf returns the string values of e, nil when not strings.
func stringsOf(e *dcm.Element) []string {
	if e == nil || e.Value == nil {
		return nil
	}
	if v, ok := e.Value.GetValue().([]string); ok {
		return v
	}
	return nil
}

// firstString returns the first string value of t in elems.
func firstString(elems []*dcm.Element, t tag.Tag) string {
	for _, e := range elems {
		if e.Tag == t {
			if v := stringsOf(e); len(v) > 0 {
				return v[0]
			}
			return ""
		}
	}
	return ""
}

// firstInt returns the first integer value of t in elems.
func firstInt(elems []*dcm.Element, t tag.Tag) (int, bool) {
	for _, e := range elems {
		if e.Tag == t && e.Value != nil {
			if v, ok := e.Value.GetValue().([]int); ok && len(v) > 0 {
				return v[0], true
			}
			return 0, false
		}
	}
	return 0, false
}

// items returns the items of a sequence element, each item's elements.
func items(e *dcm.Element) [][]*dcm.Element {
	if e == nil || e.Value == nil {
		return nil
	}
	seq, ok := e.Value.GetValue().([]*dcm.SequenceItemValue)
	if !ok {
		return nil
	}
	out := make([][]*dcm.Element, 0, len(seq))
	for _, it := range seq {
		if it == nil {
			continue
		}
		if elems, ok := it.GetValue().([]*dcm.Element); ok {
			out = append(out, elems)
		}
	}
	return out
}

// withValue returns a copy of e holding data (a type dcm.NewValue takes).
func withValue(e *dcm.Element, data any) (*dcm.Element, error) {
	v, err := dcm.NewValue(data)
	if err != nil {
		return nil, err
	}
	c := *e
	c.Value = v
	c.ValueLength = 0
	return &c, nil
}

// emptied returns e with an empty value of its kind.
func emptied(e *dcm.Element) (*dcm.Element, error) {
	switch e.Value.GetValue().(type) {
	case []int:
		return withValue(e, []int{})
	case []float64:
		return withValue(e, []float64{})
	case []byte:
		return withValue(e, []byte{})
	case []*dcm.SequenceItemValue:
		return withValue(e, [][]*dcm.Element{})
	default:
		return withValue(e, []string{""})
	}
}

// newElement builds a standard element, VR from the dictionary.
func newElement(t tag.Tag, data any) *dcm.Element {
	e, err := dcm.NewElement(t, data)
	if err != nil {
		// Only reachable with a tag missing from the library's dictionary,
		// a programming error in this package.
		panic(err)
	}
	return e
}

// setElement replaces the element of t in elems, or appends it.
func setElement(elems []*dcm.Element, e *dcm.Element) []*dcm.Element {
	for i, x := range elems {
		if x.Tag == e.Tag {
			elems[i] = e
			return elems
		}
	}
	return append(elems, e)
}

// sortElements orders elems by tag, as the encoding requires.
func sortElements(elems []*dcm.Element) {
	sort.SliceStable(elems, func(i, j int) bool { return elems[i].Tag.Compare(elems[j].Tag) < 0 })
}
