package dicom

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/dxtrain/dxtrain/datasets/deid"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// DefaultMaxFileBytes is the default size limit of one file: 1 GiB, above
// any single-frame image a training set needs.
const DefaultMaxFileBytes int64 = 1 << 30

// Date modes of Options.Dates.
const (
	// DatesShift shifts every date of a patient by the same keyed whole
	// number of days (PS3.15 Retain Longitudinal Temporal Information with
	// Modified Dates Option), keeping intervals between studies.
	DatesShift = "shift"
	// DatesYear reduces every date to 1 January of its year.
	DatesYear = "year"
)

// Options of one read.
type Options struct {
	// Key is the HMAC key for UID remapping, pseudonymous patient IDs and
	// per-patient date offsets; required (deid.MinKeyBytes at least)
	// unless Raw.
	Key []byte
	// Raw turns de-identification off: the attributes as in the files, for
	// the gate to refuse a raw corpus naming tags.
	Raw bool
	// Dates is DatesShift (default) or DatesYear.
	Dates string
	// KeepPrivate lists private tags to keep, as "(gggg,eeee)"; all other
	// private tags are removed. The private creator of a kept tag's block
	// is kept with it so the tag stays interpretable.
	KeepPrivate []string
	// Window: nil maps the min–max of the first frame after rescale to
	// [0,1]; else center/width (VOI LUT linear) after rescale.
	Window *Window
	// MaxFileBytes refuses files larger than this (default 1 GiB).
	MaxFileBytes int64
}

// Window is a VOI LUT linear window, applied after Rescale Slope/Intercept.
type Window struct{ Center, Width float64 }

// settings is Options checked and with defaults applied.
type settings struct {
	Options
	pseudo      *deid.Pseudonymiser
	keepPrivate map[tag.Tag]bool
}

func (o Options) settings() (*settings, error) {
	s := &settings{Options: o, keepPrivate: map[tag.Tag]bool{}}
	if s.MaxFileBytes <= 0 {
		s.MaxFileBytes = DefaultMaxFileBytes
	}
	if s.Dates == "" {
		s.Dates = DatesShift
	}
	if s.Dates != DatesShift && s.Dates != DatesYear {
		return nil, fmt.Errorf("%w: dates %q: want %q or %q", ErrOptions, s.Dates, DatesShift, DatesYear)
	}
	if w := s.Window; w != nil {
		if !(w.Width >= 1) || math.IsInf(w.Width, 0) || math.IsNaN(w.Center) || math.IsInf(w.Center, 0) {
			return nil, fmt.Errorf("%w: window width must be at least 1 and center finite", ErrOptions)
		}
	}
	for _, k := range s.KeepPrivate {
		t, err := parseTag(k)
		if err != nil {
			return nil, fmt.Errorf("%w: keep-private %q: %w", ErrOptions, k, err)
		}
		if t.Group%2 == 0 {
			return nil, fmt.Errorf("%w: keep-private %q is not a private tag (odd group)", ErrOptions, k)
		}
		s.keepPrivate[t] = true
		// The creator (gggg,00xx) reserves block xx; keep it with the tag.
		s.keepPrivate[tag.Tag{Group: t.Group, Element: t.Element >> 8}] = true
	}
	if !s.Raw {
		p, err := deid.NewPseudonymiser(s.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOptions, err)
		}
		s.pseudo = p
	}
	return s, nil
}

// parseTag reads "(gggg,eeee)".
func parseTag(s string) (tag.Tag, error) {
	s = strings.TrimSpace(s)
	if len(s) != 11 || s[0] != '(' || s[5] != ',' || s[10] != ')' {
		return tag.Tag{}, fmt.Errorf("want (gggg,eeee)")
	}
	g, err1 := strconv.ParseUint(s[1:5], 16, 16)
	e, err2 := strconv.ParseUint(s[6:10], 16, 16)
	if err1 != nil || err2 != nil {
		return tag.Tag{}, fmt.Errorf("want hexadecimal (gggg,eeee)")
	}
	return tag.Tag{Group: uint16(g), Element: uint16(e)}, nil
}

// tagString formats a tag as "(GGGG,EEEE)".
func tagString(t tag.Tag) string { return fmt.Sprintf("(%04X,%04X)", t.Group, t.Element) }

// String redacts the key, so that printing Options never shows it.
func (o Options) String() string {
	k := "none"
	if len(o.Key) > 0 {
		k = "[redacted]"
	}
	return fmt.Sprintf("dicom.Options{Key: %s, Raw: %v, Dates: %q, KeepPrivate: %q, Window: %v, MaxFileBytes: %d}",
		k, o.Raw, o.Dates, o.KeepPrivate, o.Window, o.MaxFileBytes)
}

// GoString redacts the key.
func (o Options) GoString() string { return o.String() }

// LogValue redacts the key.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
