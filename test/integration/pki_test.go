package integration

import (
	"crypto/tls"
	"path/filepath"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/pki"
)

// clusterPKI is the CA a test cluster's processes trust and the user certificate its
// CLI calls and Go clients present: the process tests run with mutual TLS, as a
// deployment does.
type clusterPKI struct {
	t      *testing.T
	dir    string
	ca     *pki.CA
	user   pki.Files
	issued map[string]pki.Files // role/name → files: a restarted member keeps its own
}

func newClusterPKI(t *testing.T, dir string) *clusterPKI {
	t.Helper()
	ca, err := pki.CreateCA(filepath.Join(dir, "ca"), "it", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &clusterPKI{t: t, dir: dir, ca: ca, issued: map[string]pki.Files{}}
	p.user = p.issue(pki.RoleClient, "tester")
	return p
}

// issue writes a certificate for one member, once.
func (p *clusterPKI) issue(role pki.Role, name string) pki.Files {
	p.t.Helper()
	if f, ok := p.issued[string(role)+"/"+name]; ok {
		return f
	}
	files := p.issueIn(p.t, p.dir, pki.CertRequest{Role: role, Name: name, Validity: time.Hour})
	p.issued[string(role)+"/"+name] = files
	return files
}

// issueIn writes a certificate for req into dir.
func (p *clusterPKI) issueIn(t *testing.T, dir string, req pki.CertRequest) pki.Files {
	t.Helper()
	f, err := p.ca.Issue(dir, req)
	if err != nil {
		t.Fatal(err)
	}
	return pki.Files{CA: filepath.Join(p.dir, "ca", pki.CACertFile), Cert: f.Cert, Key: f.Key}
}

// flags are a server's or agent's --tls-* flags for a new certificate of its own.
func (p *clusterPKI) flags(role pki.Role, name string) []string { return tlsArgs(p.issue(role, name)) }

func tlsArgs(f pki.Files) []string {
	return []string{"--tls-ca-file", f.CA, "--tls-cert-file", f.Cert, "--tls-key-file", f.Key}
}

// env is the CLI's environment for the user certificate.
func (p *clusterPKI) env() []string {
	return []string{"DXTRAIN_CACERT=" + p.user.CA, "DXTRAIN_CLIENT_CERT=" + p.user.Cert, "DXTRAIN_CLIENT_KEY=" + p.user.Key}
}

// userOption makes a Go client present the user certificate.
func (p *clusterPKI) userOption() client.Option { return p.option(p.user) }

// agentOption makes a Go client present an agent certificate for name, as the
// /v1/agent endpoints require.
func (p *clusterPKI) agentOption(name string) client.Option {
	return p.option(p.issue(pki.RoleAgent, name))
}

func (p *clusterPKI) option(f pki.Files) client.Option {
	p.t.Helper()
	return client.WithTLS(p.config(f))
}

// config is the TLS client configuration for f, trusting only servers.
func (p *clusterPKI) config(f pki.Files) *tls.Config {
	p.t.Helper()
	src, err := pki.Load(f)
	if err != nil {
		p.t.Fatal(err)
	}
	return src.ClientConfig(pki.RoleServer)
}
