package release

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dxtrain/dxtrain/storage"
)

// Limits on the fields of cards and statements: generous for honest use, small enough
// that a hostile file cannot make a verifier allocate without bound.
const (
	maxNameLen  = 64
	maxShortLen = 256   // one-line text: approver, architecture, class and feature names
	maxTextLen  = 16384 // free text: intended use, descriptions, limitations
	maxListLen  = 100000
)

// checkName accepts the names used for models, versions, key files and metric keys:
// 1–64 characters of [A-Za-z0-9._+-], starting with a letter or digit. They appear in
// paths and in NAME@VERSION, so no '/', '@' or spaces.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("%s has %d characters, at most %d", what, len(s), maxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("%s %q must start with a letter or digit", what, s)
		}
		if !alnum && c != '.' && c != '_' && c != '-' && c != '+' {
			return fmt.Errorf("%s %q: character %d is not one of A-Z a-z 0-9 . _ - +", what, s, i)
		}
	}
	return nil
}

// checkText accepts non-empty valid UTF-8 of at most max bytes. Single-line text may
// hold no control characters; multi-line text may hold newlines and tabs. Values are
// not echoed: free text is the one place a careless user could put patient data.
func checkText(what, s string, max int, multiline bool) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(s) > max {
		return fmt.Errorf("%s has %d bytes, at most %d", what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	for i, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("%s has a control character at byte %d", what, i)
		}
	}
	return nil
}

// checkDigest accepts a lower-case hex SHA-256.
func checkDigest(what, s string) error {
	if err := storage.ValidateDigest(s); err != nil {
		return fmt.Errorf("%s: want 64 lower-case hex characters (a SHA-256), got %d characters", what, len(s))
	}
	return nil
}

// checkTime accepts a set UTC time: the canonical encodings end in "Z", so the same
// instant always encodes to the same bytes.
func checkTime(what string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%s is not set", what)
	}
	if t.Location() != time.UTC {
		return fmt.Errorf("%s must be in UTC", what)
	}
	if y := t.Year(); y < 2000 || y > 9999 {
		return fmt.Errorf("%s has year %d, want 2000–9999", what, y)
	}
	return nil
}

// checkList checks each element of a list of short names, refusing duplicates.
func checkList(what string, list []string, allowEmpty bool) error {
	if len(list) == 0 && !allowEmpty {
		return fmt.Errorf("%s is empty", what)
	}
	if len(list) > maxListLen {
		return fmt.Errorf("%s has %d entries, at most %d", what, len(list), maxListLen)
	}
	seen := make(map[string]int, len(list))
	for i, s := range list {
		if err := checkText(fmt.Sprintf("%s[%d]", what, i), s, maxShortLen, false); err != nil {
			return err
		}
		if j, dup := seen[s]; dup {
			return fmt.Errorf("%s[%d] repeats %s[%d]", what, i, what, j)
		}
		seen[s] = i
	}
	return nil
}
