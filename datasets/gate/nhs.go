package gate

// nhsCheckDigit returns the Modulus 11 check digit of the first nine digits
// (weights 10 down to 2; 11 − (sum mod 11); 11 becomes 0), or -1 when the
// result is 10, which no valid NHS number carries.
func nhsCheckDigit(d *[10]byte) int {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	switch c {
	case 11:
		return 0
	case 10:
		return -1
	}
	return c
}

// nhsValidDigits reports whether ten ASCII digits form a valid NHS number:
// the Modulus 11 check digit matches and the digits are not all the same
// (0000000000 passes the arithmetic but is not a number anyone holds).
func nhsValidDigits(d *[10]byte) bool {
	same := true
	for i := 1; i < 10; i++ {
		if d[i] != d[0] {
			same = false
			break
		}
	}
	if same {
		return false
	}
	c := nhsCheckDigit(d)
	return c >= 0 && byte(c)+'0' == d[9]
}

// ValidNHSNumber reports whether s, after trimming surrounding spaces, is one
// valid NHS number written as ten digits or as 3-3-4 groups separated by
// single spaces or dashes.
func ValidNHSNumber(s string) bool {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	s = s[i:j]
	end, d, ok := nhsTokenAt(s, 0)
	return ok && end == len(s) && nhsValidDigits(&d)
}

// nhsTokenAt reads a 10-digit token starting at i: ten contiguous digits, or
// 3-3-4 digit groups separated by one space or dash each. It does not check
// what precedes i; it requires that no digit (nor a decimal fraction)
// follows the token.
func nhsTokenAt(s string, i int) (end int, d [10]byte, ok bool) {
	n := len(s)
	if i+10 > n {
		return 0, d, false
	}
	k := 0
	j := i
	// First three digits are common to both layouts.
	for ; k < 3; k++ {
		if !isDigit(s[j]) {
			return 0, d, false
		}
		d[k] = s[j]
		j++
	}
	if isDigit(s[j]) {
		for ; k < 10; k++ {
			if j >= n || !isDigit(s[j]) {
				return 0, d, false
			}
			d[k] = s[j]
			j++
		}
	} else {
		for _, group := range [2]int{3, 4} {
			if j >= n || (s[j] != ' ' && s[j] != '-') {
				return 0, d, false
			}
			j++
			for g := 0; g < group; g++ {
				if j >= n || !isDigit(s[j]) {
					return 0, d, false
				}
				d[k] = s[j]
				k++
				j++
			}
		}
	}
	if !digitTokenEnds(s, j) {
		return 0, d, false
	}
	return j, d, true
}
