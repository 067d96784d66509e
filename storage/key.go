package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is the longest key accepted, in bytes (S3's own object-name limit).
const MaxKeyLen = 1024

// TempPrefix starts the names of backends' temporary files (the file backend writes
// ".dxtmp-…" beside the target, then renames). No key segment may start with it, so a
// temporary file can never be mistaken for an object.
const TempPrefix = ".dxtmp-"

// ValidateKey reports whether key is a valid object key: a non-empty, slash-separated
// relative path of valid UTF-8, at most MaxKeyLen bytes, with no empty, "." or ".."
// segments, no leading or trailing "/", no backslash or control characters, and no
// segment starting with TempPrefix. The same rules hold for every backend, so a key that
// works on local disk works on S3 and cannot escape the file backend's root.
func ValidateKey(key string) error {
	if err := validateKey(key); err != nil {
		return fmt.Errorf("key %q: %w: %s", key, ErrInvalidKey, err.Error())
	}
	return nil
}

type keyProblem string

func (p keyProblem) Error() string { return string(p) }

func validateKey(key string) error {
	switch {
	case key == "":
		return keyProblem("empty")
	case len(key) > MaxKeyLen:
		return keyProblem(fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	case !utf8.ValidString(key):
		return keyProblem("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return keyProblem("absolute (starts with /)")
	case strings.HasSuffix(key, "/"):
		return keyProblem("ends with /")
	}
	for i, r := range key {
		if r < 0x20 || r == 0x7f {
			return keyProblem(fmt.Sprintf("control character at byte %d", i))
		}
		if r == '\\' {
			return keyProblem(fmt.Sprintf("backslash at byte %d", i))
		}
	}
	for i, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return keyProblem(fmt.Sprintf("empty segment %d", i))
		case seg == "." || seg == "..":
			return keyProblem(fmt.Sprintf("segment %d is %q", i, seg))
		case strings.HasPrefix(seg, TempPrefix):
			return keyProblem(fmt.Sprintf("segment %d starts with the reserved %q", i, TempPrefix))
		}
	}
	return nil
}

// ValidatePrefix reports whether prefix is usable with List: empty (everything), or a
// string that could begin a valid key (it may end with "/" or in the middle of a segment).
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	// A prefix is valid when some valid key starts with it; appending a plain segment
	// character (or nothing after a trailing slash) turns it into a candidate key.
	candidate := prefix + "x"
	if err := validateKey(candidate); err != nil {
		return fmt.Errorf("prefix %q: %w: %s", prefix, ErrInvalidKey, err.Error())
	}
	return nil
}
