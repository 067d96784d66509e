package coordinator

import (
	"fmt"
	"net"
	"strings"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// checkID accepts IDs and names of 1–128 characters from [A-Za-z0-9._:-].
func checkID(field, v string) error {
	if v == "" {
		return structs.Invalid(field, "is required")
	}
	if len(v) > 128 {
		return structs.Invalid(field, fmt.Sprintf("is %d characters, the limit is 128", len(v)))
	}
	for i, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)
		if !ok {
			return structs.Invalid(field, fmt.Sprintf("character %d (%q) is not one of A-Z a-z 0-9 . _ : -", i, r))
		}
	}
	return nil
}

// checkName accepts the names of projects and priority classes: lower-case DNS
// labels, as experiment names.
func checkName(field, v string) error {
	if !experiments.ValidName(v) {
		return structs.Invalid(field, fmt.Sprintf("%q is not a lower-case DNS label (a-z, 0-9, '-', 1-63 characters)", v))
	}
	return nil
}

// checkHash accepts a SHA-256 as 64 lower-case hex digits, optionally "sha256:"-prefixed.
func checkHash(field, v string) error {
	h := strings.TrimPrefix(v, "sha256:")
	if len(h) != 64 {
		return structs.Invalid(field, fmt.Sprintf("%q is not a SHA-256 (64 hex digits)", v))
	}
	for _, r := range h {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return structs.Invalid(field, fmt.Sprintf("%q is not a SHA-256 (64 lower-case hex digits)", v))
		}
	}
	return nil
}

func checkHashes(field string, hs []string) error {
	if len(hs) == 0 {
		return structs.Invalid(field, "is empty")
	}
	for i, h := range hs {
		if err := checkHash(fmt.Sprintf("%s[%d]", field, i), h); err != nil {
			return err
		}
	}
	return nil
}

func checkHostPort(field, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" || port == "" {
		return structs.Invalid(field, fmt.Sprintf("%q is not host:port", v))
	}
	return nil
}
