package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// Accept is what a listener lets in.
type Accept struct {
	// Roles may connect; a presented certificate of any other role is refused.
	Roles []Role
	// Optional lets a peer connect without a certificate (a user with a token); a
	// certificate it does present must still verify. Off means one is required.
	Optional bool
	// Protocols are the ALPN protocols offered, most preferred first; nil offers
	// http/1.1 only. The API offers h2 as well: a browser opens at most six HTTP/1.1
	// connections to a server, and every console tab holds a blocking query open.
	Protocols []string
}

// ServerConfig is the TLS 1.3 configuration of a listener: this process's current
// certificate, the peer verified against the current CA bundle and by role.
func (s *Source) ServerConfig(a Accept) *tls.Config {
	protocols := a.Protocols
	if protocols == nil {
		protocols = []string{"http/1.1"}
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			m := s.cur.Load()
			if m.cert == nil {
				return nil, errors.New("tls: this process has no certificate to serve with")
			}
			auth := tls.RequireAnyClientCert
			if a.Optional {
				auth = tls.RequestClientCert
			}
			return &tls.Config{
				MinVersion:   tls.VersionTLS13,
				Certificates: []tls.Certificate{*m.cert},
				ClientAuth:   auth,
				NextProtos:   protocols,
				VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
					if len(raw) == 0 {
						return nil // only reached when Optional
					}
					_, err := m.verify(raw, x509.ExtKeyUsageClientAuth, a.Roles)
					return err
				},
			}, nil
		},
	}
}

// ClientConfig is the TLS 1.3 configuration of a dialler: it presents this process's
// certificate (if it has one) and accepts only a peer of one of roles under the
// current CA bundle. Host names are not checked; the role is (see the package doc).
func (s *Source) ClientConfig(roles ...Role) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		NextProtos: []string{"http/1.1"},
		// The standard verification checks host names, which say nothing about a
		// role; VerifyConnection below verifies the chain against the current CA
		// bundle and the role instead, on every connection.
		InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if m := s.cur.Load(); m.cert != nil {
				return m.cert, nil
			}
			return &tls.Certificate{}, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &PeerError{Reason: "the server presented no certificate"}
			}
			raw := make([][]byte, len(cs.PeerCertificates))
			for i, c := range cs.PeerCertificates {
				raw[i] = c.Raw
			}
			_, err := s.cur.Load().verify(raw, x509.ExtKeyUsageServerAuth, roles)
			return err
		},
	}
}

// PeerIdentity is the verified identity of a connection's peer; ok is false when it
// presented no certificate.
func PeerIdentity(cs *tls.ConnectionState) (Identity, bool) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return Identity{}, false
	}
	id, err := IdentityOf(cs.PeerCertificates[0])
	return id, err == nil
}
