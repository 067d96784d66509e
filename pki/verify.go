package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// PeerError is a peer refused at the handshake, with the reason an operator reads in
// the audit log: never a secret, and the peer named by its certificate when it had one.
type PeerError struct {
	Reason string
	Peer   string // the certificate's identity or subject, "" without one
}

func (e *PeerError) Error() string {
	if e.Peer != "" {
		return "tls peer refused: " + e.Reason + " (" + e.Peer + ")"
	}
	return "tls peer refused: " + e.Reason
}

// verify checks a peer's chain against the CA bundle, the key usage and the role.
func (m *material) verify(rawCerts [][]byte, usage x509.ExtKeyUsage, roles []Role) (Identity, error) {
	certs := make([]*x509.Certificate, 0, len(rawCerts))
	for _, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return Identity{}, &PeerError{Reason: "malformed certificate: " + err.Error()}
		}
		certs = append(certs, c)
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	subject := fmt.Sprintf("subject %q", leaf.Subject.CommonName)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: m.pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return Identity{}, &PeerError{Reason: chainReason(err, leaf), Peer: subject}
	}
	id, err := IdentityOf(leaf)
	if err != nil {
		return Identity{}, &PeerError{Reason: err.Error(), Peer: subject}
	}
	if id.Cluster != m.cluster {
		return id, &PeerError{Reason: fmt.Sprintf("certificate of cluster %q, this is %q", id.Cluster, m.cluster), Peer: id.String()}
	}
	if !slices.Contains(roles, id.Role) {
		want := make([]string, len(roles))
		for i, r := range roles {
			want[i] = string(r)
		}
		return id, &PeerError{Reason: fmt.Sprintf("%s certificate where %s is required", id.Role, strings.Join(want, " or ")), Peer: id.String()}
	}
	return id, nil
}

func chainReason(err error, leaf *x509.Certificate) string {
	var inv x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		now := time.Now()
		if now.Before(leaf.NotBefore) {
			return "certificate not valid until " + leaf.NotBefore.UTC().Format(time.RFC3339)
		}
		return "expired certificate (not after " + leaf.NotAfter.UTC().Format(time.RFC3339) + ")"
	case errors.As(err, &inv) && inv.Reason == x509.IncompatibleUsage:
		return "certificate not issued for this use (key usage)"
	case errors.As(err, &unknown):
		return "certificate from another CA"
	}
	return "certificate does not verify: " + err.Error()
}

// HandshakeReason turns a failed server-side handshake into the reason to audit;
// ok is false for a peer that hung up before saying anything (a port probe).
func HandshakeReason(err error) (reason, peer string, ok bool) {
	var pe *PeerError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &pe):
		return pe.Reason, pe.Peer, true
	case errors.As(err, &rh):
		return "plaintext (not TLS) client", "", true
	case errors.Is(err, io.EOF):
		return "", "", false
	case strings.Contains(err.Error(), "client didn't provide a certificate"):
		return "no client certificate", "", true
	case strings.Contains(err.Error(), "protocol version"), strings.Contains(err.Error(), "unsupported versions"):
		return "TLS version below 1.3", "", true
	case strings.Contains(err.Error(), "remote error: tls: bad certificate"):
		return "the peer refused this process's certificate (it trusts another CA or wants another role)", "", true
	}
	return "handshake failed: " + err.Error(), "", true
}
