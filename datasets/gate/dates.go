package gate

// Full dates (day, month and year) in the layouts people write them:
// 2024-03-05 and 2024/03/05; 05/03/2024, 5-3-2024 and 05.03.2024 (day or
// month first); 05/03/75; 5 March 1975, 5th Mar. 1975, 05-Mar-1975 and
// 05-Mar-75; March 5, 1975. A year and month alone (2024-03, the output of the
// event-date transform) is not a full date.

const (
	minYear = 1880
	maxYear = 2100
)

var monthNames = [...]string{
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
}

// monthWord reports whether w is a month name or its three-letter (or
// "sept") abbreviation.
func monthWord(w string) bool {
	if len(w) < 3 || len(w) > len("september") {
		return false
	}
	switch lower(w[0]) {
	case 'j', 'f', 'm', 'a', 's', 'o', 'n', 'd':
	default:
		return false
	}
	if equalFoldASCII(w, "sept") {
		return true
	}
	for _, m := range monthNames {
		if equalFoldASCII(w, m) || (len(w) == 3 && equalFoldASCII(w, m[:3])) {
			return true
		}
	}
	return false
}

func validDay(d int) bool   { return d >= 1 && d <= 31 }
func validMonth(m int) bool { return m >= 1 && m <= 12 }
func validYear(y int) bool  { return y >= minYear && y <= maxYear }

// dayMonthValid accepts a day and month in either order (UK or US layout).
func dayMonthValid(a, b int) bool {
	return (validDay(a) && validMonth(b)) || (validMonth(a) && validDay(b))
}

// skipOrdinal skips st, nd, rd or th after a day number.
func skipOrdinal(s string, j int) int {
	if j+2 <= len(s) {
		switch {
		case equalFoldASCII(s[j:j+2], "st"), equalFoldASCII(s[j:j+2], "nd"),
			equalFoldASCII(s[j:j+2], "rd"), equalFoldASCII(s[j:j+2], "th"):
			if j+2 == len(s) || !isLetter(s[j+2]) {
				return j + 2
			}
		}
	}
	return j
}

// numericDateAt matches an all-numeric full date starting at the digit i.
func numericDateAt(s string, i int) (int, bool) {
	a, j, ok := readDigits(s, i, 1, 4)
	if !ok || j >= len(s) || isDigit(s[j]) {
		return 0, false
	}
	sep := s[j]
	if sep != '-' && sep != '/' && sep != '.' {
		return 0, false
	}
	aLen := j - i
	b, k, ok := readDigits(s, j+1, 1, 2)
	if !ok || k >= len(s) || s[k] != sep {
		return 0, false
	}
	c, end, ok := readDigits(s, k+1, 1, 4)
	if !ok || !digitTokenEnds(s, end) && !(end < len(s) && (s[end] == 'T' || s[end] == 't')) {
		return 0, false
	}
	cLen := end - (k + 1)
	switch {
	case aLen == 4 && sep != '.': // yyyy-mm-dd
		return end, validYear(a) && validMonth(b) && cLen <= 2 && validDay(c)
	case aLen <= 2 && cLen == 4: // dd/mm/yyyy or mm/dd/yyyy
		return end, dayMonthValid(a, b) && validYear(c)
	case aLen == 2 && cLen == 2 && sep == '/': // dd/mm/yy
		return end, dayMonthValid(a, b)
	}
	return 0, false
}

// dayMonthNameDateAt matches "5 March 1975", "5th Mar. 1975", "05-Mar-1975"
// or "05-Mar-75" starting at the digit i.
func dayMonthNameDateAt(s string, i int) (int, bool) {
	d, j, ok := readDigits(s, i, 1, 2)
	if !ok || !validDay(d) || j >= len(s) || isDigit(s[j]) {
		return 0, false
	}
	j = skipOrdinal(s, j)
	if j >= len(s) {
		return 0, false
	}
	dash := s[j] == '-'
	if s[j] != ' ' && !dash {
		return 0, false
	}
	j++
	w := wordEnd(s, j)
	if !monthWord(s[j:w]) {
		return 0, false
	}
	j = w
	if j < len(s) && s[j] == '.' {
		j++
	}
	if j >= len(s) || (s[j] != ' ' && s[j] != '-' && s[j] != ',') {
		return 0, false
	}
	if s[j] == ',' {
		j++
	}
	if j < len(s) && (s[j] == ' ' || s[j] == '-') {
		j++
	}
	y, end, ok := readDigits(s, j, 2, 4)
	if !ok || !digitTokenEnds(s, end) {
		return 0, false
	}
	switch end - j {
	case 4:
		return end, validYear(y)
	case 2:
		return end, dash
	}
	return 0, false
}

// monthNameFirstDateAt matches "March 5, 1975" or "Mar 5th 1975" where the
// month word spans [i, w).
func monthNameFirstDateAt(s string, i, w int) (int, bool) {
	if !monthWord(s[i:w]) {
		return 0, false
	}
	j := w
	if j < len(s) && s[j] == '.' {
		j++
	}
	if j >= len(s) || s[j] != ' ' {
		return 0, false
	}
	d, j, ok := readDigits(s, j+1, 1, 2)
	if !ok || !validDay(d) || j >= len(s) || isDigit(s[j]) {
		return 0, false
	}
	j = skipOrdinal(s, j)
	if j < len(s) && s[j] == ',' {
		j++
	}
	if j >= len(s) || s[j] != ' ' {
		return 0, false
	}
	y, end, ok := readDigits(s, j+1, 4, 4)
	if !ok || !digitTokenEnds(s, end) || !validYear(y) {
		return 0, false
	}
	return end, true
}
