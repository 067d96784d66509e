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
// +44 7700 900123, +44 (0)113 496 0000, 07700 900123, 0113 496 0000,
// (0113) 496 0000, 020 7946 0000, 01632 960123, 03xx. Digits may be grouped
// by single spaces or dashes. After the leading 0 (or +44) there are ten
// digits, or nine for some 01 area codes.
func phoneAt(s string, i int) (int, bool) {
	n := len(s)
	j := i
	digits := 0
	var first byte // the digit after the trunk 0
	switch {
	case s[j] == '+':
		if j+3 > n || s[j+1] != '4' || s[j+2] != '4' {
			return 0, false
		}
		j += 3
		digits = 1 // stands for the trunk 0
		if j < n && (s[j] == ' ' || s[j] == '-') {
			j++
		}
		if j+3 <= n && s[j:j+3] == "(0)" {
			j += 3
			if j < n && s[j] == ' ' {
				j++
			}
		}
	case s[j] == '(':
		if j+1 >= n || s[j+1] != '0' {
			return 0, false
		}
		j++
	case s[j] != '0':
		return 0, false
	}
	closed := false
	for j < n && digits < 12 {
		c := s[j]
		switch {
		case isDigit(c):
			if digits == 1 {
				first = c
			}
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
	if digits < 2 || (first != '1' && first != '2' && first != '3' && first != '7') {
		return 0, false
	}
	if !digitTokenEnds(s, j) {
		return 0, false
	}
	if digits == 11 || (digits == 10 && first == '1') {
		return j, true
	}
	return 0, false
}
