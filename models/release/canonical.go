package release

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// decodeStrict decodes exactly one JSON value into v: unknown fields and trailing data
// are errors. Callers then re-encode and compare, so only canonical bytes are accepted
// and the bytes a signature or hash covers are the bytes that were understood (no
// duplicate keys, no case-folded keys, no replaced invalid UTF-8).
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return fmt.Errorf("%d bytes of trailing data after the JSON object", len(rest))
	}
	return nil
}

// checkCanonical compares data with the canonical encoding of what it decoded to.
func checkCanonical(data, canonical []byte) error {
	if bytes.Equal(data, canonical) {
		return nil
	}
	n := min(len(data), len(canonical))
	at := n
	for i := range n {
		if data[i] != canonical[i] {
			at = i
			break
		}
	}
	return fmt.Errorf("not in canonical form (first difference at byte %d of %d)", at, len(data))
}
