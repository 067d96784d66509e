package gate

// Byte classes and token boundaries shared by the detectors. Bytes of
// multi-byte UTF-8 sequences count as separators, which errs towards
// detecting a token rather than missing it.

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isLetter(c byte) bool { return isUpper(c) || isLower(c) }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }
func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

// tokenStarts reports whether a token may start at i: the byte before is not
// a letter or digit.
func tokenStarts(s string, i int) bool {
	return i == 0 || !isAlnum(s[i-1])
}

// inFraction reports whether the digit at i continues a decimal number such
// as the fraction of 12.3456789012.
func inFraction(s string, i int) bool {
	return i >= 2 && (s[i-1] == '.' || s[i-1] == ',') && isDigit(s[i-2])
}

// digitTokenEnds reports whether a numeric token may end at j: no letter or
// digit follows, and no decimal fraction (".5") continues it.
func digitTokenEnds(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if isAlnum(c) {
		return false
	}
	if (c == '.' || c == ',') && j+1 < len(s) && isDigit(s[j+1]) {
		return false
	}
	return true
}

// wordEnd returns the end of the run of ASCII letters starting at i.
func wordEnd(s string, i int) int {
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	return i
}

// alnumEnd returns the end of the run of letters and digits starting at i.
func alnumEnd(s string, i int) int {
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i
}

// equalFoldASCII compares an ASCII word with a lower-case constant.
func equalFoldASCII(word, lowerConst string) bool {
	if len(word) != len(lowerConst) {
		return false
	}
	for i := 0; i < len(word); i++ {
		if lower(word[i]) != lowerConst[i] {
			return false
		}
	}
	return true
}

// readDigits reads between min and max digits at i and returns their value
// and the end; ok is false when fewer than min digits are there.
func readDigits(s string, i, min, max int) (val, end int, ok bool) {
	j := i
	for j < len(s) && j-i < max && isDigit(s[j]) {
		val = val*10 + int(s[j]-'0')
		j++
	}
	if j-i < min {
		return 0, i, false
	}
	return val, j, true
}
