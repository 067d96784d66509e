package gate

// Email addresses and UK telephone numbers.

const (
	maxEmailLocal  = 64
	maxEmailDomain = 255
)

func emailLocalByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\''
}

func emailDomainByte(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// emailAround matches an address around the '@' at at: a local part of up to
// 64 bytes before it and a dotted domain with an alphabetic top-level label
// of two or more letters after it. Both scans are bounded.
func emailAround(s string, at int) (start, end int, ok bool) {
	start = at
	for start > 0 && at-start < maxEmailLocal && emailLocalByte(s[start-1]) {
		start--
	}
	if start == at {
		return 0, 0, false
	}
	end = at + 1
	lastDot := -1
	for end < len(s) && end-at <= maxEmailDomain && emailDomainByte(s[end]) {
		if s[end] == '.' {
			lastDot = end
		}
		end++
	}
	// A trailing full stop ends the sentence, not the domain.
	for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
		end--
		if lastDot >= end {
			lastDot = -1
			for k := at + 1; k < end; k++ {
				if s[k] == '.' {
					lastDot = k
				}
			}
		}
	}
	if lastDot <= at+1 || end-lastDot-1 < 2 {
		return 0, 0, false
	}
	for k := lastDot + 1; k < end; k++ {
		if !isLetter(s[k]) {
			return 0, 0, false
		}
	}
	return start, end, true
}

// phoneAt matches a UK telephone number starting at the token start i:
// +44 7700 900123, 0044 7700 900123, +44 (0)113 496 0000, 07700 900123,
// 0113 496 0000, (0113) 496 0000, 020 7946 0000, 01632 960123, 0300 123 4567.
// Digits may be grouped by single spaces or dashes. The digits must be a number
// of the UK numbering plan (ukNumber): a digit string that merely begins with 0
// (a lab sample id) is not one.
func phoneAt(s string, i int) (int, bool) {
	n := len(s)
	j := i
	var national [12]byte // the number in national form, trunk 0 first
	digits := 0
	international := func(prefix int) {
		j += prefix
		national[0], digits = '0', 1 // +44 / 0044 stand for the trunk 0
		if j < n && (s[j] == ' ' || s[j] == '-') {
			j++
		}
		if j+3 <= n && s[j:j+3] == "(0)" {
			j += 3
			if j < n && s[j] == ' ' {
				j++
			}
		}
	}
	switch {
	case s[j] == '+':
		if j+3 > n || s[j+1] != '4' || s[j+2] != '4' {
			return 0, false
		}
		international(3)
	case j+4 <= n && s[j:j+4] == "0044":
		international(4)
	case s[j] == '(':
		if j+1 >= n || s[j+1] != '0' {
			return 0, false
		}
		j++
	case s[j] != '0':
		return 0, false
	}
	closed := false
	for j < n && digits < len(national) {
		c := s[j]
		switch {
		case isDigit(c):
			national[digits] = c
			digits++
			j++
			continue
		case c == ')' && !closed && s[i] == '(':
			closed = true
			j++
			if j < n && s[j] == ' ' {
				j++
			}
			continue
		case (c == ' ' || c == '-') && j+1 < n && isDigit(s[j+1]) && digits < 11:
			j++
			continue
		}
		break
	}
	if !digitTokenEnds(s, j) || !ukNumber(string(national[:digits])) {
		return 0, false
	}
	return j, true
}

// ukNumber reports whether d (national form, trunk 0 first) is a number a person
// could be called on under Ofcom's numbering plan: geographic 01 and 02 numbers,
// 03 non-geographic and 07 mobile numbers, all eleven digits — except the 01 areas
// with five-digit local numbers (ten digits in all) and Brampton's four-digit ones.
// Freephone, premium and shared-cost ranges (08, 09) reach organisations, not patients.
func ukNumber(d string) bool {
	if len(d) < 10 || d[0] != '0' {
		return false
	}
	switch d[1] {
	case '2', '3', '7':
		return len(d) == 11
	case '1':
		return len(d) == 11 || len(d) == 10 && (fiveDigitLocalAreas[d[:5]] || d[:6] == "016977")
	}
	return false
}

// fiveDigitLocalAreas are the 01 area codes with some five-digit local numbers
// (Ofcom's National Telephone Numbering Plan): the only ten-digit UK numbers.
var fiveDigitLocalAreas = map[string]bool{
	"01204": true, "01208": true, "01254": true, "01276": true, "01297": true, "01298": true, "01363": true,
	"01364": true, "01384": true, "01386": true, "01404": true, "01420": true, "01460": true, "01461": true,
	"01480": true, "01488": true, "01524": true, "01527": true, "01562": true, "01566": true, "01606": true,
	"01629": true, "01635": true, "01647": true, "01659": true, "01695": true, "01726": true, "01744": true,
	"01750": true, "01768": true, "01827": true, "01837": true, "01884": true, "01900": true, "01905": true,
	"01935": true, "01946": true, "01949": true, "01963": true, "01995": true,
}
