package release

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// RevocationSchema versions the revocation list.
const RevocationSchema = "dxtrain.revocations/v1"

// maxRevocationsSize bounds a revocation list file.
const maxRevocationsSize = 1 << 20

// Revocation errors.
var (
	// ErrInvalidRevocations means a revocation list that does not parse or validate,
	// or whose signature does not verify under the trusted key.
	ErrInvalidRevocations = errors.New("invalid revocation list")
	// ErrRevoked means the release's version is on its approver's revocation list.
	ErrRevoked = errors.New("the version is revoked")
)

// RevocationList is an approver's signed word on which versions of a model must no
// longer be run: every revoked version with its reason, an issue time and a validity
// period. A trust that cannot reach the registry keeps using its cached copy and is
// warned once that copy is past ValidUntil.
type RevocationList struct {
	Schema      string       `json:"schema"` // RevocationSchema
	Model       string       `json:"model"`
	Revoked     []Revocation `json:"revoked"` // by version
	IssuedAt    time.Time    `json:"issued_at"`
	ValidUntil  time.Time    `json:"valid_until"`
	Approver    string       `json:"approver"`
	ApproverKey string       `json:"approver_key"` // Fingerprint of the signing key
}

// Revocation is one revoked version.
type Revocation struct {
	Version   int       `json:"version"`
	Reason    string    `json:"reason"`
	RevokedAt time.Time `json:"revoked_at"`
}

// Validate names the first field out of form.
func (l *RevocationList) Validate() error {
	bad := func(err error) error { return fmt.Errorf("%w: %w", ErrInvalidRevocations, err) }
	switch {
	case l.Schema != RevocationSchema:
		return bad(fmt.Errorf("schema %q, want %q", l.Schema, RevocationSchema))
	case !l.ValidUntil.After(l.IssuedAt):
		return bad(fmt.Errorf("valid_until %s is not after issued_at %s", l.ValidUntil, l.IssuedAt))
	}
	for _, err := range []error{
		checkName("model", l.Model), checkTime("issued_at", l.IssuedAt), checkTime("valid_until", l.ValidUntil),
		checkText("approver", l.Approver, maxShortLen, false), checkFingerprint("approver_key", l.ApproverKey),
	} {
		if err != nil {
			return bad(err)
		}
	}
	for i, r := range l.Revoked {
		if r.Version < 1 || (i > 0 && r.Version <= l.Revoked[i-1].Version) {
			return bad(fmt.Errorf("revoked[%d]: version %d, want positive and increasing", i, r.Version))
		}
		if err := checkText(fmt.Sprintf("revoked[%d].reason", i), r.Reason, maxTextLen, true); err != nil {
			return bad(err)
		}
		if err := checkTime(fmt.Sprintf("revoked[%d].revoked_at", i), r.RevokedAt); err != nil {
			return bad(err)
		}
	}
	return nil
}

// Encode validates l and returns its canonical bytes, the ones signed.
func (l *RevocationList) Encode() ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	out, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrInvalidRevocations, err)
	}
	return append(out, '\n'), nil
}

// SignRevocations encodes l with the approver's key fingerprint filled in and signs
// it, returning the list and its signature file (as statement.sig is written).
func SignRevocations(l RevocationList, priv ed25519.PrivateKey) (list, sig []byte, err error) {
	l.Schema, l.ApproverKey = RevocationSchema, Fingerprint(priv.Public().(ed25519.PublicKey))
	if l.Revoked == nil {
		l.Revoked = []Revocation{}
	}
	slices.SortFunc(l.Revoked, func(a, b Revocation) int { return a.Version - b.Version })
	if list, err = l.Encode(); err != nil {
		return nil, nil, err
	}
	return list, EncodeSignature(Sign(list, priv)), nil
}

// VerifyRevocations checks the signature over list with the trusted key and that the
// list is for model, and returns it. Staleness is the caller's to judge (Stale).
func VerifyRevocations(list, sig []byte, pub ed25519.PublicKey, model string) (*RevocationList, error) {
	if len(list) > maxRevocationsSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidRevocations, len(list), maxRevocationsSize)
	}
	raw, err := DecodeSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRevocations, err)
	}
	if !ed25519.Verify(pub, list, raw) {
		return nil, fmt.Errorf("%w: the signature does not verify under key %s", ErrInvalidRevocations, Fingerprint(pub))
	}
	var l RevocationList
	if err := decodeStrict(list, &l); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrInvalidRevocations, err)
	}
	canonical, err := l.Encode()
	if err != nil {
		return nil, err
	}
	if err := checkCanonical(list, canonical); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRevocations, err)
	}
	if l.Model != model {
		return nil, fmt.Errorf("%w: a list for model %q, not %q", ErrInvalidRevocations, l.Model, model)
	}
	return &l, nil
}

// Check refuses version when the list revokes it.
func (l *RevocationList) Check(version int) error {
	for _, r := range l.Revoked {
		if r.Version == version {
			return fmt.Errorf("%s@%d: %w (%s, by %s): %s", l.Model, version, ErrRevoked,
				r.RevokedAt.Format(time.RFC3339), l.Approver, r.Reason)
		}
	}
	return nil
}

// Stale reports whether the list is past its validity at now.
func (l *RevocationList) Stale(now time.Time) bool { return now.After(l.ValidUntil) }
