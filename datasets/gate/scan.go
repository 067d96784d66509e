package gate

import "strings"

// Rules the gate applies. Each names one kind of identifier or one check.
const (
	RuleNHSNumber        = "nhs_number"         // a 10-digit token passing the Modulus 11 check
	RuleNHSKeyword       = "nhs_number_keyword" // a 10-digit token beside an NHS keyword, valid or not
	RuleNHSColumn        = "nhs_number_column"  // most values of the column are valid NHS numbers
	RulePostcode         = "postcode"           // a full (unit-level) UK postcode
	RuleDateOfBirth      = "date_of_birth"      // a full date in a birth-date context
	RuleFullDate         = "full_date"          // a full date in a column not declared as a transformed date
	RuleName             = "name"               // a gazetteer name, or one in a title's or role's context
	RuleEmail            = "email"              // an email address
	RulePhone            = "phone"              // a UK telephone number
	RuleIdentifierHeader = "identifier_header"  // a header naming an identifier, column not declared as one
	RuleSmallGroup       = "small_group"        // quasi-identifier groups smaller than k
	RuleTransformOutput  = "transform_output"   // a transformed column's value is not in the transform's output form
)

// contentRules are the rules ScanCell can report, in report order.
var contentRules = []string{
	RuleNHSNumber, RuleNHSKeyword, RulePostcode, RuleDateOfBirth, RuleFullDate,
	RuleName, RuleEmail, RulePhone,
}

// numContentRules is len(contentRules), as a constant for fixed-size tallies.
const numContentRules = 8

// ruleDetail describes each rule in the report. Constant text only.
var ruleDetail = map[string]string{
	RuleNHSNumber:        "10-digit token passing the NHS Modulus 11 check",
	RuleNHSKeyword:       "10-digit token beside an NHS keyword",
	RuleNHSColumn:        "most values are valid NHS numbers",
	RulePostcode:         "full UK postcode (unit level); keep the district only",
	RuleDateOfBirth:      "full date in a date-of-birth context; declare the column as date_of_birth",
	RuleFullDate:         "full date (day, month, year); declare the column as event_date or drop it",
	RuleName:             "personal name (a gazetteer name, or a capitalised word after a personal title)",
	RuleEmail:            "email address",
	RulePhone:            "UK telephone number",
	RuleIdentifierHeader: "header names a direct identifier but the column is not declared as an identifier",
	RuleTransformOutput:  "column declared as transformed holds values not in the transform's output form",
}

// Match is one detection in a cell: the rule and the byte span [Start, End)
// of the cell that triggered it. Callers must not copy the span's text into
// anything that leaves the process; the gate itself reports only counts.
type Match struct {
	Rule       string
	Start, End int
}

// cellContext carries what the column header says about its cells.
type cellContext struct {
	nhs bool // header mentions NHS: every 10-digit token is an NHS number
	dob bool // header mentions birth: full dates are dates of birth
}

const (
	keywordBefore = 24 // bytes between an NHS/DOB keyword and the token after it
	keywordAfter  = 16 // bytes between a token and an NHS keyword after it
)

// scanner holds per-cell state and a reusable match buffer.
type scanner struct {
	matches    []Match
	tenInvalid bool // a 10-digit token failed the check with no keyword
	lastNHS    int  // end of the last NHS keyword, or -1
	lastDOB    int  // end of the last date-of-birth keyword, or -1
	lastSaint  int  // end of the last "St" word, or -1
	// The name context: after a personal title any capitalised word is a name, after
	// a role a gazetteer name is, and a name right after a name continues it.
	lastTitle, lastRole, lastName, lastVerb int // ends of those words, or -1
}

// ScanCell returns every identifier the content rules find in one cell,
// with no column context.
func ScanCell(cell string) []Match {
	var s scanner
	s.scan(cell, cellContext{})
	return s.matches
}

func (s *scanner) add(rule string, start, end int) {
	s.matches = append(s.matches, Match{Rule: rule, Start: start, End: end})
}

// scan runs every detector over the cell in one left-to-right pass. At each
// token start the detectors look at a bounded window; on a match the pass
// resumes after it, otherwise after the current word.
func (s *scanner) scan(cell string, ctx cellContext) {
	s.matches = s.matches[:0]
	s.tenInvalid = false
	s.lastNHS, s.lastDOB, s.lastSaint = -1, -1, -1
	s.lastTitle, s.lastRole, s.lastName, s.lastVerb = -1, -1, -1, -1
	n := len(cell)
	for i := 0; i < n; {
		c := cell[i]
		if c == '@' {
			if start, end, ok := emailAround(cell, i); ok {
				s.dropFrom(start)
				s.add(RuleEmail, start, end)
				i = end
				continue
			}
			i++
			continue
		}
		if !tokenStarts(cell, i) || !(isAlnum(c) || c == '+' || c == '(') {
			i++
			continue
		}
		var end int
		if isDigit(c) {
			end = s.digitToken(cell, i, ctx)
		} else if isLetter(c) {
			end = s.letterToken(cell, i, ctx)
		} else if e, ok := phoneAt(cell, i); ok {
			s.add(RulePhone, i, e)
			end = e
		}
		if end <= i {
			end = i + 1
		}
		i = end
	}
}

// dropFrom removes matches starting at or after start (an email address
// subsumes the names or numbers in its local part).
func (s *scanner) dropFrom(start int) {
	k := len(s.matches)
	for k > 0 && s.matches[k-1].Start >= start {
		k--
	}
	s.matches = s.matches[:k]
}

// digitToken tries the detectors that start with a digit and returns where
// the pass resumes.
func (s *scanner) digitToken(cell string, i int, ctx cellContext) int {
	if inFraction(cell, i) {
		return alnumEnd(cell, i)
	}
	if end, d, ok := nhsTokenAt(cell, i); ok {
		switch {
		case nhsValidDigits(&d):
			s.add(RuleNHSNumber, i, end)
			return end
		case ctx.nhs || s.nhsKeywordNear(cell, i, end):
			s.add(RuleNHSKeyword, i, end)
			return end
		}
		s.tenInvalid = true
	}
	if end, ok := numericDateAt(cell, i); ok {
		s.addDate(cell, i, end, ctx)
		return end
	}
	if end, ok := dayMonthNameDateAt(cell, i); ok {
		s.addDate(cell, i, end, ctx)
		return end
	}
	if end, ok := phoneAt(cell, i); ok {
		s.add(RulePhone, i, end)
		return end
	}
	return alnumEnd(cell, i)
}

func (s *scanner) addDate(cell string, i, end int, ctx cellContext) {
	if ctx.dob || (s.lastDOB >= 0 && i-s.lastDOB <= keywordBefore) {
		s.add(RuleDateOfBirth, i, end)
		return
	}
	s.add(RuleFullDate, i, end)
}

// letterToken tries the detectors that start with a letter (postcode,
// month-first date, name) and notes keywords.
func (s *scanner) letterToken(cell string, i int, ctx cellContext) int {
	if end, ok := postcodeAt(cell, i); ok {
		s.add(RulePostcode, i, end)
		return end
	}
	w := wordEnd(cell, i)
	word := cell[i:w]
	if end, ok := monthNameFirstDateAt(cell, i, w); ok {
		s.addDate(cell, i, end, ctx)
		return end
	}
	switch {
	case equalFoldASCII(word, "nhs"):
		s.lastNHS = w
	case equalFoldASCII(word, "dob"), equalFoldASCII(word, "born"), equalFoldASCII(word, "birth"):
		s.lastDOB = w
	case word == "St":
		s.lastSaint = w
	case personalTitles[word]:
		s.lastTitle = w
	case s.nameInContext(cell, i, word):
		s.add(RuleName, i, w)
		s.lastName = w
	case isKnownName(word) && !s.afterSaint(cell, i):
		s.add(RuleName, i, w)
		s.lastName = w
	default:
		lw := strings.ToLower(word)
		switch {
		case byVerbs[lw]:
			s.lastVerb = w
			if lw == "signed" {
				s.lastRole = w
			}
		case lw == "by":
			if s.follows(cell, s.lastVerb, i) {
				s.lastRole = w
			}
		case nameRoles[lw]:
			s.lastRole = w
		}
	}
	return alnumEnd(cell, i)
}

// nameInContext reports whether the word at i is a name by what comes before it: any
// capitalised word after a personal title, a gazetteer name (English word or not)
// after a role, and a capitalised word continuing a name found right before it.
func (s *scanner) nameInContext(cell string, i int, word string) bool {
	switch {
	case !capitalised(word):
		return false
	case s.follows(cell, s.lastTitle, i):
		return true
	case s.follows(cell, s.lastRole, i), s.follows(cell, s.lastName, i):
		return isGazetteerName(word) && !calendarWords[titled(word)]
	}
	return false
}

// follows reports whether the word at i comes right after a word ending at end:
// separated by one space, ". ", ": " or ", ".
func (s *scanner) follows(cell string, end, i int) bool {
	if end < 0 || end > i {
		return false
	}
	switch cell[end:i] {
	case " ", ". ", ": ", ", ", ":":
		return true
	}
	return false
}

// afterSaint reports whether the word at i directly follows "St" or "St.".
func (s *scanner) afterSaint(cell string, i int) bool {
	if s.lastSaint < 0 {
		return false
	}
	gap := cell[s.lastSaint:i]
	return gap == " " || gap == ". "
}

// nhsKeywordNear reports whether an NHS keyword ends shortly before the token
// [i, end) or starts shortly after it.
func (s *scanner) nhsKeywordNear(cell string, i, end int) bool {
	if s.lastNHS >= 0 && i-s.lastNHS <= keywordBefore {
		return true
	}
	limit := min(end+keywordAfter, len(cell)-2)
	for j := end; j < limit; j++ {
		if lower(cell[j]) == 'n' && tokenStarts(cell, j) && equalFoldASCII(cell[j:j+3], "nhs") &&
			(j+3 == len(cell) || !isAlnum(cell[j+3])) {
			return true
		}
	}
	return false
}
