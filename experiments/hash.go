package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// CanonicalJSON is the spec as JSON with object keys sorted at every level, no
// insignificant whitespace, and numbers as encoding/json writes them. It does
// not depend on struct field order or on how the YAML was laid out, only on
// the values (after defaults, when the spec came from Parse).
func (s *Spec) CanonicalJSON() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode spec %q: %w", s.Name, err)
	}
	// Round-trip through generic values: maps marshal with sorted keys, and
	// json.Number keeps every number (a uint64 seed included) exactly as written.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonicalise spec %q: %w", s.Name, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonicalise spec %q: %w", s.Name, err)
	}
	return out, nil
}

// Hash is the SHA-256 (lower-case hex) of CanonicalJSON: the identity of the
// spec that checkpoints, exports and the registry record, so a resumed run can
// refuse a changed spec. Every field counts, the description included. A spec
// that cannot be encoded (NaN or infinite numbers, which Validate rejects)
// hashes to "".
func (s *Spec) Hash() string {
	b, err := s.CanonicalJSON()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
