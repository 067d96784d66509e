package structs

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Roles a token may carry. admin may do everything.
const (
	RoleAdmin      = "admin"
	RoleResearcher = "researcher"
	RoleValidator  = "validator"
	RoleTrust      = "trust"
	RoleAgent      = "agent"
)

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	switch r {
	case RoleAdmin, RoleResearcher, RoleValidator, RoleTrust, RoleAgent:
		return true
	}
	return false
}

// ACLToken is a stored token. Only the SHA-256 of the secret is stored, so neither the
// Raft log nor a snapshot can leak a usable secret.
type ACLToken struct {
	AccessorID  string   `json:"accessor_id"`
	SecretHash  string   `json:"secret_hash"`
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`
	CreatedAt   int64    `json:"created_at"`
	CreateIndex uint64   `json:"create_index"`
	ModifyIndex uint64   `json:"modify_index"`
}

// Copy returns a deep copy.
func (t *ACLToken) Copy() *ACLToken {
	c := *t
	c.Roles = append([]string(nil), t.Roles...)
	return &c
}

// HasRole reports whether the token carries role or admin.
func (t *ACLToken) HasRole(roles ...string) bool {
	if slices.Contains(t.Roles, RoleAdmin) {
		return true
	}
	for _, r := range roles {
		if slices.Contains(t.Roles, r) {
			return true
		}
	}
	return false
}

// HashSecret is the one way a secret is turned into what the store keeps.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ACLBootstrapRequest creates the first admin token; applied at most once per cluster.
type ACLBootstrapRequest struct {
	WriteRequest
	Token ACLToken `json:"token"`
}

// ACLTokenUpsertRequest creates a token.
type ACLTokenUpsertRequest struct {
	WriteRequest
	Token ACLToken `json:"token"`
}

// ACLTokenDeleteRequest deletes a token by accessor ID.
type ACLTokenDeleteRequest struct {
	WriteRequest
	AccessorID string `json:"accessor_id"`
}
