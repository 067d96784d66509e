package coordinator

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

// setupTLS loads the server's TLS material, or says loudly that there is none.
func (s *Server) setupTLS() error {
	if s.cfg.InsecurePlaintext {
		s.log.Warn("TLS IS OFF (insecure_plaintext): the API, tokens and Raft travel in the clear; never run a cluster with patient data like this")
		return nil
	}
	src, err := pki.Load(s.cfg.TLS)
	if err != nil {
		return err
	}
	if id := src.Identity(); id.Role != pki.RoleServer {
		return fmt.Errorf("tls cert_file %s: a server needs a server certificate, this is the %s", s.cfg.TLS.Cert, id)
	}
	s.tls = src
	s.client.Transport = &http.Transport{TLSClientConfig: src.ClientConfig(pki.RoleServer), ForceAttemptHTTP2: false}
	return nil
}

// ReloadTLS rereads the certificate, key and CA files (on SIGHUP). New connections
// use them; on error the files in use stay.
func (s *Server) ReloadTLS() error {
	if s.tls == nil {
		return fmt.Errorf("reload tls: %s runs without TLS (insecure_plaintext)", s.cfg.NodeID)
	}
	if err := s.tls.Reload(); err != nil {
		return err
	}
	s.log.Info("tls certificates reloaded", "identity", s.tls.Identity().String(), "not_after", s.tls.NotAfter().UTC().Format(time.RFC3339))
	return nil
}

// TLSStatus is what `dxtrain status` shows of the server's transport security.
func (s *Server) TLSStatus() string {
	if s.tls == nil {
		return "off (insecure_plaintext)"
	}
	return fmt.Sprintf("mutual TLS 1.3, cluster %s, certificate valid until %s", s.tls.Cluster(), s.tls.NotAfter().UTC().Format(time.RFC3339))
}

// scheme is the URL scheme servers use to reach each other's API.
func (s *Server) scheme() string {
	if s.tls != nil {
		return "https"
	}
	return "http"
}

// secureAPI wraps the API listener: TLS 1.3, a client certificate optional (users
// present tokens) but verified when given; routes that need one check its role.
func (s *Server) secureAPI(ln net.Listener) net.Listener {
	if s.tls == nil {
		return ln
	}
	cfg := s.tls.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleServer, pki.RoleAgent, pki.RoleClient}, Optional: true,
		Protocols: []string{"h2", "http/1.1"}})
	return pki.NewListener(ln, cfg, "api", s.refusals.record)
}

// requiredPeer is the certificate role a route needs under TLS, whatever the token:
// the agents' routes an agent's (or a server's, forwarding one), joining Raft and
// reporting refusals a server's. Tokens can leak; the private key behind a
// certificate the cluster's CA issued for a role is the second factor.
func requiredPeer(rt route) []pki.Role {
	path := rt.pattern[strings.IndexByte(rt.pattern, ' ')+1:]
	switch {
	case strings.HasPrefix(path, "/v1/agent/"):
		return []pki.Role{pki.RoleAgent, pki.RoleServer}
	case path == "/v1/operator/raft/join", path == "/v1/operator/security-events":
		return []pki.Role{pki.RoleServer}
	}
	return nil
}

// checkPeer refuses a request on a route that needs a certificate of a role the
// connection did not present. The refusal is audited like a refused handshake.
func (s *Server) checkPeer(r *http.Request, rt route) error {
	roles := requiredPeer(rt)
	if s.tls == nil || len(roles) == 0 {
		return nil
	}
	id, ok := pki.PeerIdentity(r.TLS)
	if ok {
		for _, want := range roles {
			if id.Role == want {
				return nil
			}
		}
	}
	got := "no certificate"
	if ok {
		got = "the " + id.String()
	}
	reason := fmt.Sprintf("%s needs a %s certificate, the connection presented %s", rt.pattern, roleList(roles), got)
	s.refusals.record(pki.Refusal{Listener: "api", Remote: r.RemoteAddr, Reason: reason})
	return fmt.Errorf("%s: %w", reason, structs.ErrPermissionDenied)
}

// forwardedByServer reports whether r was forwarded by another server: it carries
// the forwarded header and, under TLS, came over a server certificate, so a client
// cannot claim the header to escape the failed-authentication count.
func (s *Server) forwardedByServer(r *http.Request) bool {
	if r.Header.Get(structs.HeaderForwarded) == "" {
		return false
	}
	if s.tls == nil {
		return true
	}
	id, ok := pki.PeerIdentity(r.TLS)
	return ok && id.Role == pki.RoleServer
}

// requestPeer is the certificate identity behind r: its connection's, or, on a
// request a server forwarded, that of the connection it first came in on
// (HeaderForwardedPeer), which only a server can vouch for.
func (s *Server) requestPeer(r *http.Request) (pki.Identity, bool) {
	id, ok := pki.PeerIdentity(r.TLS)
	if !ok || id.Role != pki.RoleServer || r.Header.Get(structs.HeaderForwarded) == "" {
		return id, ok
	}
	role, name, found := strings.Cut(r.Header.Get(structs.HeaderForwardedPeer), "/")
	if !found {
		return pki.Identity{}, false
	}
	return pki.Identity{Cluster: id.Cluster, Role: pki.Role(role), Name: name}, true
}

func roleList(roles []pki.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, " or ")
}

// raftTransport is Raft's network transport: plain TCP, or mutual TLS that lets only
// server certificates in and dials only servers.
func (s *Server) raftTransport(logger raft.NetworkTransportConfig) (*raft.NetworkTransport, error) {
	var advertise net.Addr
	if s.cfg.RaftAdvertise != "" {
		a, err := net.ResolveTCPAddr("tcp", s.cfg.RaftAdvertise)
		if err != nil {
			return nil, fmt.Errorf("raft_advertise %s: %w", s.cfg.RaftAdvertise, err)
		}
		advertise = a
	}
	if s.tls == nil {
		return raft.NewTCPTransportWithLogger(s.cfg.RaftAddr, advertise, 3, 2*time.Second, logger.Logger)
	}
	inner, err := net.Listen("tcp", s.cfg.RaftAddr)
	if err != nil {
		return nil, err
	}
	layer := &tlsStreamLayer{
		Listener:  pki.NewListener(inner, s.tls.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleServer}}), "raft", s.refusals.record),
		dial:      s.tls.ClientConfig(pki.RoleServer),
		advertise: advertise,
	}
	logger.Stream = layer
	return raft.NewNetworkTransportWithConfig(&logger), nil
}

// tlsStreamLayer is a raft.StreamLayer over mutual TLS.
type tlsStreamLayer struct {
	*pki.Listener
	dial      *tls.Config
	advertise net.Addr // nil: the listener's address
}

// Addr is the address other servers reach this one at.
func (l *tlsStreamLayer) Addr() net.Addr {
	if l.advertise != nil {
		return l.advertise
	}
	return l.Listener.Addr()
}

// Dial connects to another server and verifies it holds a server certificate.
func (l *tlsStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: l.dial}
	return d.Dial("tcp", string(address))
}
