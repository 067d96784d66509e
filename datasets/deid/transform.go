package deid

import (
	"fmt"
	"strings"
	"time"
)

// dateLayouts are the layouts accepted for dates of birth and event dates.
// Slash, dash and dot dates are day first (UK order).
var dateLayouts = []string{
	"2006-01-02",
	"2006/01/02",
	"02/01/2006",
	"2/1/2006",
	"02-01-2006",
	"2-1-2006",
	"02.01.2006",
	"2.1.2006",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
}

// parseDate reads a date in one of dateLayouts.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrBadDate
}

const (
	bandWidth = 5
	topCode   = 90
	maxAge    = 130
)

// AgeBand turns a date of birth into the 5-year band of the age in
// completed years on the reference date ("40-44"); ages of 90 and over are
// top-coded as "90+". An empty value stays empty.
func AgeBand(dob string, ref time.Time) (string, error) {
	if strings.TrimSpace(dob) == "" {
		return "", nil
	}
	t, err := parseDate(dob)
	if err != nil {
		return "", err
	}
	age := ref.Year() - t.Year()
	if ref.Month() < t.Month() || (ref.Month() == t.Month() && ref.Day() < t.Day()) {
		age--
	}
	if age < 0 || age > maxAge {
		return "", ErrImplausibleBirth
	}
	if age >= topCode {
		return fmt.Sprintf("%d+", topCode), nil
	}
	lo := age / bandWidth * bandWidth
	return fmt.Sprintf("%d-%d", lo, lo+bandWidth-1), nil
}

// EventMonth turns a date into its year and month ("2024-11"). A value
// already in that form is kept. An empty value stays empty.
func EventMonth(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if t, err := time.Parse("2006-01", s); err == nil {
		return t.Format("2006-01"), nil
	}
	t, err := parseDate(s)
	if err != nil {
		return "", err
	}
	return t.Format("2006-01"), nil
}

// PostcodeDistrict returns the outward code (district) of a full UK
// postcode: "ls6 2ab" gives "LS6". Case and whitespace are normalised; the
// value must have exactly one space between the outward and inward codes,
// since without it the split could only be guessed from character counts.
// An empty value stays empty.
func PostcodeDistrict(s string) (string, error) {
	fields := strings.Fields(strings.ToUpper(s))
	switch len(fields) {
	case 0:
		return "", nil
	case 1:
		return "", ErrPostcodeAmbiguous
	case 2:
	default:
		return "", ErrBadPostcode
	}
	out, in := fields[0], fields[1]
	if !validOutward(out) || !validInward(in) {
		return "", ErrBadPostcode
	}
	return out, nil
}

func upperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func digit(c byte) bool       { return c >= '0' && c <= '9' }

// validOutward accepts A9, A99, A9A, AA9, AA99, AA9A and GIR.
func validOutward(o string) bool {
	if o == "GIR" {
		return true
	}
	if len(o) < 2 || len(o) > 4 || !upperLetter(o[0]) {
		return false
	}
	i := 1
	if upperLetter(o[i]) {
		i++
	}
	if i >= len(o) || !digit(o[i]) {
		return false
	}
	i++
	if i < len(o) && (digit(o[i]) || upperLetter(o[i])) {
		i++
	}
	return i == len(o)
}

// validInward accepts 9AA with the letters the Royal Mail uses.
func validInward(in string) bool {
	if len(in) != 3 || !digit(in[0]) {
		return false
	}
	for _, c := range []byte(in[1:]) {
		if !upperLetter(c) || strings.IndexByte("CIKMOV", c) >= 0 {
			return false
		}
	}
	return true
}
