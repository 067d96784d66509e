package dicom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"strings"
)

// Keyed derivations. Each use of the key is domain-separated by a label so
// that a UID remapping never equals a date offset's input; the patient
// pseudonym itself is deid.Pseudonymiser's, identical to the tabular one.

func (s *settings) mac(label, value string) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// remapUID maps a UID to "2.25." and the decimal of 128 keyed bits: the
// same UID always gives the same result under one key (references across
// files stay intact), and without the key the original cannot be found.
func (s *settings) remapUID(uid string) string {
	uid = strings.TrimRight(uid, " \x00")
	if uid == "" {
		return ""
	}
	sum := s.mac("dicom-uid", uid)
	return "2.25." + new(big.Int).SetBytes(sum[:16]).String()
}

// dayOffset is the patient's date shift: a keyed whole number of days in
// ±1..365, never 0, the same for every file of the patient.
func (s *settings) dayOffset(patientID string) int {
	sum := s.mac("dicom-date-offset", strings.TrimSpace(patientID))
	n := int(binary.BigEndian.Uint64(sum[:8]) % 730)
	if n < 365 {
		return n - 365
	}
	return n - 364
}
