package trainer

import (
	"fmt"
	"net"

	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/trainer/collective"
)

// checkIdentity refuses a certificate that is not this node's agent certificate: a
// copied certificate of another node, or a server's, must not run an agent.
func (a *Agent) checkIdentity() error {
	if a.cfg.Security == nil {
		a.log.Warn("TLS IS OFF (insecure_plaintext): the ring between agents and the log server carry gradients and tokens in the clear")
		return nil
	}
	id := a.cfg.Security.Identity()
	if id.Role != pki.RoleAgent || id.Name != a.cfg.NodeID {
		return fmt.Errorf("agent %s: tls cert_file %s is the %s; want the agent certificate named %q (`dxtrain tls cert create --agent --name %s`)",
			a.cfg.NodeID, a.cfg.TLS.Cert, id, a.cfg.NodeID, a.cfg.NodeID)
	}
	return nil
}

// secureRing puts the attempt's ring links in mutual TLS: only agents of the
// cluster's CA may take a rank, whatever the session; the refused are audited.
func (a *Agent) secureRing(cfg *collective.Config) {
	if a.cfg.Security == nil {
		return
	}
	cfg.ServerTLS = a.cfg.Security.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleAgent}})
	cfg.ClientTLS = a.cfg.Security.ClientConfig(pki.RoleAgent)
	cfg.OnRefusal = a.refusals.ringRefusal
}

// secureLogs serves the ranks' logs over TLS: readers present tokens, and a
// certificate is optional but verified; the refused are audited.
func (a *Agent) secureLogs(ln net.Listener) net.Listener {
	if a.cfg.Security == nil {
		return ln
	}
	cfg := a.cfg.Security.ServerConfig(pki.Accept{Roles: []pki.Role{pki.RoleClient, pki.RoleServer, pki.RoleAgent}, Optional: true})
	return pki.NewListener(ln, cfg, "logs", a.refusals.record)
}
