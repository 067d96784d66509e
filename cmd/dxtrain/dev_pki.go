package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dxtrain/dxtrain/pki"
)

// devPKI is the certificate authority `dxtrain dev` makes in its data directory, so
// the embedded cluster runs with mutual TLS like a real one.
type devPKI struct {
	ca     *pki.CA
	dir    string
	caFile string
}

// newDevPKI creates a fresh CA under dataDir/tls, replacing the previous run's: the
// dev cluster's state lives in memory, so nothing outlives it that trusts the old CA.
func newDevPKI(dataDir string) (*devPKI, error) {
	dir := filepath.Join(dataDir, "tls")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	ca, err := pki.CreateCA(filepath.Join(dir, "ca"), "dev", 30*24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("dev tls: %w", err)
	}
	return &devPKI{ca: ca, dir: dir, caFile: filepath.Join(dir, "ca", pki.CACertFile)}, nil
}

// issue writes a certificate for one member of the dev cluster.
func (p *devPKI) issue(role pki.Role, name string) (pki.Files, error) {
	f, err := p.ca.Issue(p.dir, pki.CertRequest{Role: role, Name: name, Validity: 7 * 24 * time.Hour})
	if err != nil {
		return pki.Files{}, fmt.Errorf("dev tls: %w", err)
	}
	return pki.Files{CA: p.caFile, Cert: f.Cert, Key: f.Key}, nil
}

// load issues and loads a member's certificate.
func (p *devPKI) load(role pki.Role, name string) (*pki.Source, error) {
	f, err := p.issue(role, name)
	if err != nil {
		return nil, err
	}
	return pki.Load(f)
}
