package gate

import "strings"

// A column declared as transformed skips the content rules, so the gate
// checks instead that each value has the form its transform produces. This
// catches a caller that declares a transform it did not apply.

// Roles whose transforms the gate knows; the strings are the ingest spec's.
const (
	RoleDateOfBirth = "date_of_birth"
	RoleEventDate   = "event_date"
	RolePostcode    = "postcode"
)

// transformedForm reports whether a non-empty cell of a transformed column
// with the given role has the transform's output form. Roles without a
// known transform accept anything.
func transformedForm(role, v string) bool {
	switch role {
	case RoleIdentifier:
		return isPseudonym(v)
	case RoleDateOfBirth:
		return isAgeBand(v)
	case RoleEventDate:
		return isYearMonth(v)
	case RolePostcode:
		return isOutwardCode(v)
	case RoleShiftedDate:
		return allValues(v, isDICOMDate)
	case RoleYearDate:
		return allValues(v, func(d string) bool { return isDICOMDate(d) && d[5:10] == "01-01" })
	case RoleUID:
		return allValues(v, isUID)
	}
	return true
}

// allValues applies ok to each of a multi-valued attribute's values (split at
// backslashes); empty values pass.
func allValues(v string, ok func(string) bool) bool {
	for {
		part, rest, more := cut(v, '\\')
		if part != "" && !ok(part) {
			return false
		}
		if !more {
			return true
		}
		v = rest
	}
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// isDICOMDate accepts a DA value as the gate sees it (1975-03-05) or the start of
// a DT (1975-03-05 then digits, '.', '+' or '-' for time and offset): what date
// de-identification writes. A name or an NHS number is not in this form.
func isDICOMDate(v string) bool {
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	y, _, ok1 := readDigits(v, 0, 4, 4)
	m, _, ok2 := readDigits(v, 5, 2, 2)
	d, _, ok3 := readDigits(v, 8, 2, 2)
	if !ok1 || !ok2 || !ok3 || !validYear(y) || !validMonth(m) || !validDay(d) {
		return false
	}
	for i := 10; i < len(v); i++ {
		if c := v[i]; !isDigit(c) && c != '.' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// isUID accepts a DICOM UID: up to 64 digits and dots, at least two components,
// none empty. A bare number (an NHS number left where a UID was) does not pass.
func isUID(v string) bool {
	if !strings.Contains(v, ".") || len(v) > 64 || v[0] == '.' || v[len(v)-1] == '.' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isDigit(c) && (c != '.' || v[i-1] == '.') {
			return false
		}
	}
	return true
}

// isPseudonym accepts 16 to 64 lower-case hex digits: a truncated keyed
// hash. Sixteen is above the length of any NHS number, phone number or
// common hospital number, so an identifier left in place does not pass.
func isPseudonym(v string) bool {
	if len(v) < 16 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) && (v[i] < 'a' || v[i] > 'f') {
			return false
		}
	}
	return true
}

// isAgeBand accepts "40-44" (a 5-year band starting at a multiple of 5) or
// a top code such as "90+".
func isAgeBand(v string) bool {
	lo, j, ok := readDigits(v, 0, 1, 3)
	if !ok || j >= len(v) || lo%5 != 0 {
		return false
	}
	if v[j] == '+' {
		return j+1 == len(v)
	}
	hi, end, ok := readDigits(v, j+1, 1, 3)
	return v[j] == '-' && ok && end == len(v) && hi == lo+4
}

// isYearMonth accepts YYYY-MM.
func isYearMonth(v string) bool {
	if len(v) != 7 || v[4] != '-' {
		return false
	}
	y, _, ok1 := readDigits(v, 0, 4, 4)
	m, _, ok2 := readDigits(v, 5, 2, 2)
	return ok1 && ok2 && validYear(y) && validMonth(m)
}

// isOutwardCode accepts an upper-case outward code (A9, A99, A9A, AA9,
// AA99, AA9A) or GIR.
func isOutwardCode(v string) bool {
	if v == "GIR" {
		return true
	}
	if len(v) < 2 || len(v) > 4 || !isUpper(v[0]) {
		return false
	}
	j := 1
	if isUpper(v[j]) {
		j++
	}
	if j >= len(v) || !isDigit(v[j]) {
		return false
	}
	j++
	if j < len(v) && (isDigit(v[j]) || isUpper(v[j])) {
		j++
	}
	return j == len(v)
}
