package gate

import "strings"

// Name detection looks up title-case words (Sarah, Patel, McDonald) in two
// compact built-in lists: common given names and surnames in England and
// Wales (ONS baby-name and surname frequency tables). The lists are kept
// small on purpose and leave out every entry that is also an English word, a
// medical eponym or a month (Will, May, Mark, Grace, Hope, Rose, Max, Wood,
// Hall, Green, White, Brown, King, Young, Ward, Turner, Wilson, Parkinson,
// Addison, Hunter, Bell, Graves, Down, Murphy, Allen, Edwards, Bennett,
// Hutchinson, Holmes, Campbell, Morgan, Walker), so clinical text does not
// trip it. A listed name right after "St" (St James's, St Mary's) is a place.
// All-capitals words (SMITH) and names outside the lists are not found: the
// header rule and the reviewer's declaration of roles are the other guards.

var givenNames = []string{
	"Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas",
	"Oscar", "William", "James", "Henry", "Alfie", "Joshua", "Freddie",
	"Archie", "Ethan", "Isaac", "Alexander", "Joseph", "Edward", "Samuel",
	"Daniel", "Arthur", "Lucas", "Muhammad", "Mohammed", "David", "John",
	"Michael", "Paul", "Peter", "Richard", "Robert", "Stephen", "Andrew",
	"Christopher", "Anthony", "Kevin", "Gary", "Ian", "Simon", "Matthew",
	"Olivia", "Amelia", "Isla", "Ava", "Emily", "Isabella", "Mia", "Poppy",
	"Ella", "Lily", "Sophia", "Sophie", "Jessica", "Charlotte", "Evie",
	"Ruby", "Chloe", "Sarah", "Emma", "Hannah", "Margaret", "Susan",
	"Elizabeth", "Mary", "Patricia", "Jennifer", "Linda", "Barbara",
	"Helen", "Karen", "Julie", "Claire", "Rachel", "Laura", "Rebecca",
	"Lucy", "Katie", "Megan", "Lauren", "Priya", "Aisha", "Fatima",
	"Nicola", "Deborah", "Joanne", "Siobhan", "Niamh", "Aoife", "Ewan",
}

var surnames = []string{
	"Smith", "Jones", "Williams", "Taylor", "Davies", "Evans", "Johnson",
	"Roberts", "Wright", "Robinson", "Thompson", "Hughes",
	"Harris", "Lewis", "Jackson", "Clarke", "Clark", "Scott",
	"Cooper", "Morris", "Moore", "Watson", "Harrison", "Patel",
	"Mitchell", "Anderson", "Khan", "Singh", "Begum", "Kaur",
	"Hussain", "Ahmed", "Kelly", "Stewart", "Parker",
	"Griffiths", "Lloyd", "Phillips", "Carter", "Richardson",
	"Shaw", "Chapman", "Kowalski", "Nowak", "Okafor",
	"Adeyemi", "Nguyen", "Chowdhury", "Rahman", "Macdonald", "McDonald",
	"Fraser", "Davidson", "Jenkins", "Collins", "Atkinson",
}

// nameSet holds both lists.
var nameSet = func() map[string]struct{} {
	m := make(map[string]struct{}, len(givenNames)+len(surnames))
	for _, n := range givenNames {
		m[n] = struct{}{}
	}
	for _, n := range surnames {
		m[n] = struct{}{}
	}
	return m
}()

// titleCase reports whether w is Capitalised, or a Mc/Mac name such as McDonald.
func titleCase(w string) bool {
	if len(w) < 2 || !isUpper(w[0]) {
		return false
	}
	rest := w[1:]
	if strings.HasPrefix(w, "Mc") && len(w) > 3 && isUpper(w[2]) {
		rest = w[3:]
	}
	for i := 0; i < len(rest); i++ {
		if !isLower(rest[i]) {
			return false
		}
	}
	return true
}

// isKnownName reports whether the title-case word w is on the name lists.
func isKnownName(w string) bool {
	if !titleCase(w) {
		return false
	}
	_, ok := nameSet[w]
	return ok
}

// personNameQualifiers are header words that make "name" a person's name.
// Anything else before "name" (drug_name, site_name) is not flagged.
var nonPersonNameQualifiers = map[string]bool{
	"drug": true, "test": true, "file": true, "site": true, "ward": true,
	"org": true, "organisation": true, "organization": true, "trust": true,
	"hospital": true, "practice": true, "product": true, "medication": true,
	"device": true, "study": true, "column": true, "variable": true,
	"field": true, "dataset": true, "model": true, "lab": true,
	"specimen": true, "procedure": true, "diagnosis": true, "code": true,
	"unit": true, "feature": true, "class": true, "label": true, "scanner": true,
}

// identifyingHeaderFragments are searched for in the header with separators
// removed and letters lower-cased.
var identifyingHeaderFragments = []string{
	"surname", "forename", "firstname", "lastname", "fullname", "givenname",
	"familyname", "address", "email", "phone", "nhs", "mrn",
	"hospitalnumber", "hospitalno", "hospno",
}

// headerTokens splits a header into lower-case words at separators and at
// lower-to-upper case changes (patientName → patient, name).
func headerTokens(h string) []string {
	var toks []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, string(cur))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case !isAlnum(c):
			flush()
		case isUpper(c) && i > 0 && isLower(h[i-1]):
			flush()
			cur = append(cur, lower(c))
		default:
			cur = append(cur, lower(c))
		}
	}
	flush()
	return toks
}

// identifyingHeader reports whether a column header names a direct
// identifier: name (of a person), surname, forename, address, email, phone,
// NHS, MRN or hospital number.
func identifyingHeader(h string) bool {
	toks := headerTokens(h)
	joined := strings.Join(toks, "")
	for _, f := range identifyingHeaderFragments {
		if strings.Contains(joined, f) {
			return true
		}
	}
	for i, t := range toks {
		if t != "name" && t != "names" {
			continue
		}
		if i == 0 || !nonPersonNameQualifiers[toks[i-1]] {
			return true
		}
	}
	return false
}

// headerMentions reports whether any header token equals one of words.
func headerMentions(h string, words ...string) bool {
	for _, t := range headerTokens(h) {
		for _, w := range words {
			if t == w {
				return true
			}
		}
	}
	return false
}
