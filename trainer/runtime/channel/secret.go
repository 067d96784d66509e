package channel

import (
	"crypto/rand"
	"encoding/hex"
)

// NewSecret is a fresh DXTRAIN_SECRET for one gang's channel: 32 random bytes as 64
// hex characters, well above the minimum Listen accepts.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
