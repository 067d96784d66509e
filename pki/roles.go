package pki

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

// Role is what a certificate lets its holder be.
type Role string

const (
	// RoleServer is a coordinator server: Raft, the API, forwarding to the leader.
	RoleServer Role = "server"
	// RoleAgent is a worker agent: the agent API and the ring between agents.
	RoleAgent Role = "agent"
	// RoleClient is a person or tool with a token: the CLI, a validator, a trust.
	RoleClient Role = "client"
)

// ParseRole accepts "server", "agent" or "client".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleServer, RoleAgent, RoleClient:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want server, agent or client", s)
}

// DefaultCluster is the cluster name when none is given (Nomad's "global" region).
const DefaultCluster = "global"

const uriScheme = "dxtrain"

// Identity is who a certificate says its holder is.
type Identity struct {
	Cluster string
	Role    Role
	Name    string
}

func (id Identity) String() string {
	return fmt.Sprintf("%s %q of cluster %q", id.Role, id.Name, id.Cluster)
}

// DNSName is the role's SAN, "server.CLUSTER.dxtrain".
func (id Identity) DNSName() string { return string(id.Role) + "." + id.Cluster + ".dxtrain" }

func (id Identity) uri() *url.URL {
	return &url.URL{Scheme: uriScheme, Host: id.Cluster, Path: "/" + string(id.Role) + "/" + id.Name}
}

// IdentityOf reads the role URI SAN of a certificate this package issued.
func IdentityOf(c *x509.Certificate) (Identity, error) {
	for _, u := range c.URIs {
		if u.Scheme != uriScheme {
			continue
		}
		role, name, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		r, err := ParseRole(role)
		if !ok || err != nil || name == "" || u.Host == "" {
			return Identity{}, fmt.Errorf("certificate %q: malformed role SAN %q", c.Subject.CommonName, u.String())
		}
		return Identity{Cluster: u.Host, Role: r, Name: name}, nil
	}
	return Identity{}, fmt.Errorf("certificate %q carries no dxtrain role (not issued by `dxtrain tls cert create`)", c.Subject.CommonName)
}

// validName is a cluster or holder name: it becomes part of a DNS SAN and a URI.
func validName(kind, s string) error {
	if s == "" || len(s) > 63 {
		return fmt.Errorf("%s %q: want 1 to 63 characters", kind, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%s %q: byte %d: want lower-case letters, digits and '-'", kind, s, i)
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return fmt.Errorf("%s %q: must start and end with a letter or digit", kind, s)
	}
	return nil
}
