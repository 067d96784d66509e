package benchmark

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dxtrain/dxtrain/coordinator"
	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/pki"
)

// clusterPKI is a throwaway CA for a benchmark cluster, so figures with mutual TLS
// are measured the way a deployment runs.
type clusterPKI struct {
	dir    string
	ca     *pki.CA
	client *pki.Source // a client certificate for the benchmark's API calls
}

func newClusterPKI() (*clusterPKI, error) {
	dir, err := os.MkdirTemp("", "dxtrain-bench-pki-")
	if err != nil {
		return nil, err
	}
	ca, err := pki.CreateCA(filepath.Join(dir, "ca"), pki.DefaultCluster, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	p := &clusterPKI{dir: dir, ca: ca}
	f, err := p.issue(pki.RoleClient, "bench")
	if err != nil {
		return nil, err
	}
	if p.client, err = pki.Load(f); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *clusterPKI) issue(role pki.Role, name string) (pki.Files, error) {
	f, err := p.ca.Issue(filepath.Join(p.dir, "certs"), pki.CertRequest{Role: role, Name: name, Validity: time.Hour})
	if err != nil {
		return pki.Files{}, fmt.Errorf("benchmark pki: %w", err)
	}
	return pki.Files{CA: filepath.Join(p.dir, "ca", pki.CACertFile), Cert: f.Cert, Key: f.Key}, nil
}

// secure gives a server config its certificate.
func (p *clusterPKI) secure(cfg *coordinator.Config) error {
	f, err := p.issue(pki.RoleServer, cfg.NodeID)
	if err != nil {
		return err
	}
	cfg.TLS, cfg.InsecurePlaintext = f, false
	return nil
}

func (p *clusterPKI) remove() { _ = os.RemoveAll(p.dir) }

// Client is an API client for the live servers, over TLS when the cluster runs it.
func (c *Cluster) Client(token string, opts ...client.Option) (*client.Client, error) {
	return c.ClientFor(c.Addrs(), token, opts...)
}

// ClientFor is Client for chosen addresses.
func (c *Cluster) ClientFor(addrs []string, token string, opts ...client.Option) (*client.Client, error) {
	if c.pki != nil {
		opts = append([]client.Option{client.WithTLS(c.pki.client.ClientConfig(pki.RoleServer))}, opts...)
	}
	return client.New(addrs, token, opts...)
}
