package gate

// UK postcodes follow the official pattern: an outward code of the forms A9,
// A99, A9A, AA9, AA99 or AA9A (the second letter of AA forms is never I or
// Z), an optional single space, and an inward code 9AA whose letters are never
// C, I, K, M, O or V; plus the special GIR 0AA. Letters may be either case.
// Only the full (unit-level) postcode is an identifier; a district alone such
// as LS1 or SW1A is allowed.

// postcodeInwardLetter reports whether c may appear in the inward code.
func postcodeInwardLetter(c byte) bool {
	switch lower(c) {
	case 'c', 'i', 'k', 'm', 'o', 'v':
		return false
	}
	return isLetter(c)
}

// postcodeSecondLetter reports whether c may be the second letter of an
// AA-form outward code.
func postcodeSecondLetter(c byte) bool {
	l := lower(c)
	return isLetter(c) && l != 'i' && l != 'z'
}

// inwardAt reports whether an inward code (optionally after one space) starts
// at j and ends at a token boundary; it returns the end.
func inwardAt(s string, j int) (int, bool) {
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if j+3 > len(s) || !isDigit(s[j]) || !postcodeInwardLetter(s[j+1]) || !postcodeInwardLetter(s[j+2]) {
		return 0, false
	}
	j += 3
	if j < len(s) && isAlnum(s[j]) {
		return 0, false
	}
	return j, true
}

// postcodeAt matches a full UK postcode starting at the token start i.
func postcodeAt(s string, i int) (int, bool) {
	n := len(s)
	if i+5 > n || !isLetter(s[i]) {
		return 0, false
	}
	if equalFoldASCII(s[i:i+3], "gir") {
		j := i + 3
		if j < n && s[j] == ' ' {
			j++
		}
		if j+3 <= n && s[j] == '0' && lower(s[j+1]) == 'a' && lower(s[j+2]) == 'a' &&
			(j+3 == n || !isAlnum(s[j+3])) {
			return j + 3, true
		}
	}
	j := i + 1
	if isLetter(s[j]) {
		if !postcodeSecondLetter(s[j]) {
			return 0, false
		}
		j++
	}
	if j >= n || !isDigit(s[j]) {
		return 0, false
	}
	j++
	// The outward code ends here (A9, AA9) or one character later (A99,
	// A9A, AA99, AA9A). Without a space both readings can be tried; an
	// inward code must start with a digit, so at most one succeeds.
	if end, ok := inwardAt(s, j); ok {
		return end, true
	}
	if j < n && isAlnum(s[j]) {
		if end, ok := inwardAt(s, j+1); ok {
			return end, true
		}
	}
	return 0, false
}
