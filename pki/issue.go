package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// CertRequest is what `dxtrain tls cert create` asks the CA for.
type CertRequest struct {
	Role Role
	// Name is the holder: a server's node ID, an agent's node ID, a person.
	Name string
	// Hosts are extra DNS names and IP addresses, for tools that check host names
	// (curl, a browser); dxtrain itself checks the role.
	Hosts []string
	// Validity is how long the certificate lives.
	Validity time.Duration
	// NotBefore backdates or postdates the certificate (zero: now). Tests use it to
	// issue expired certificates.
	NotBefore time.Time
}

// IssuedFiles are where Issue wrote the certificate and its key.
type IssuedFiles struct {
	Cert, Key string
	Identity  Identity
}

// Issue creates a key and a certificate for req, signed by the CA, and writes them
// into dir as CLUSTER-ROLE-NAME.pem and CLUSTER-ROLE-NAME-key.pem (0600). Servers and
// agents get both server and client authentication (they accept and dial each other);
// clients only client authentication.
func (ca *CA) Issue(dir string, req CertRequest) (IssuedFiles, error) {
	if _, err := ParseRole(string(req.Role)); err != nil {
		return IssuedFiles{}, err
	}
	if err := validName("name", req.Name); err != nil {
		return IssuedFiles{}, err
	}
	if req.Validity <= 0 {
		return IssuedFiles{}, fmt.Errorf("validity %v: must be positive", req.Validity)
	}
	id := Identity{Cluster: ca.Cluster, Role: req.Role, Name: req.Name}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return IssuedFiles{}, err
	}
	start := req.NotBefore
	if start.IsZero() {
		start = time.Now().Add(-time.Minute)
	}
	if end := start.Add(req.Validity); end.After(ca.Cert.NotAfter) {
		return IssuedFiles{}, fmt.Errorf("validity %v outlives the CA (valid until %s)", req.Validity, ca.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: id.Name, Organization: []string{"dxtrain"}, OrganizationalUnit: []string{string(id.Role)}},
		NotBefore:    start,
		NotAfter:     start.Add(req.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     []string{id.DNSName()},
		URIs:         []*url.URL{id.uri()},
	}
	switch req.Role {
	case RoleServer, RoleAgent:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames = append(tmpl.DNSNames, "localhost")
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	case RoleClient:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, h := range req.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return IssuedFiles{}, fmt.Errorf("sign certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return IssuedFiles{}, err
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%s-%s", id.Cluster, id.Role, id.Name))
	files := IssuedFiles{Cert: base + ".pem", Key: base + "-key.pem", Identity: id}
	if err := writeKey(files.Key, key); err != nil {
		return IssuedFiles{}, err
	}
	if err := writeCert(files.Cert, der); err != nil {
		_ = os.Remove(files.Key)
		return IssuedFiles{}, err
	}
	return files, nil
}
