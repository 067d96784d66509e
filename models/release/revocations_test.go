package release

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRevocationListSignVerifyCheck(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, _ := ed25519.GenerateKey(nil)
	issued := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	l := RevocationList{Model: "wdbc", Approver: "Dr A", IssuedAt: issued, ValidUntil: issued.Add(7 * 24 * time.Hour),
		Revoked: []Revocation{{Version: 3, Reason: "overfit", RevokedAt: issued}, {Version: 1, Reason: "recalled", RevokedAt: issued}}}
	list, sig, err := SignRevocations(l, priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyRevocations(list, sig, pub, "wdbc")
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check(2); err != nil {
		t.Fatalf("version 2 is not revoked: %v", err)
	}
	if err := got.Check(3); !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), "overfit") {
		t.Fatalf("version 3: %v", err)
	}
	if got.Stale(issued.Add(time.Hour)) || !got.Stale(issued.Add(8*24*time.Hour)) {
		t.Fatal("staleness")
	}
	for name, tc := range map[string]struct {
		list, sig []byte
		pub       ed25519.PublicKey
		model     string
	}{
		"another key":    {list, sig, otherPub, "wdbc"},
		"another model":  {list, sig, pub, "other"},
		"altered list":   {bytes.Replace(list, []byte("overfit"), []byte("overfix"), 1), sig, pub, "wdbc"},
		"not base64 sig": {list, []byte("nope"), pub, "wdbc"},
	} {
		if _, err := VerifyRevocations(tc.list, tc.sig, tc.pub, tc.model); !errors.Is(err, ErrInvalidRevocations) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := SignRevocations(RevocationList{Model: "wdbc", Approver: "A", IssuedAt: issued, ValidUntil: issued}, priv); err == nil {
		t.Fatal("a list valid for no time was signed")
	}
}

func FuzzVerifyRevocations(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	issued := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	list, sig, _ := SignRevocations(RevocationList{Model: "m", Approver: "A", IssuedAt: issued, ValidUntil: issued.Add(time.Hour)}, priv)
	f.Add(list, sig)
	f.Add([]byte("{}"), []byte("x"))
	f.Fuzz(func(t *testing.T, list, sig []byte) {
		if l, err := VerifyRevocations(list, sig, pub, "m"); err == nil && l.Model != "m" {
			t.Fatalf("accepted a list for %q", l.Model)
		}
	})
}
