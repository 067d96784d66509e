package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// CA file names inside a CA directory.
const (
	CACertFile = "ca.pem"
	CAKeyFile  = "ca-key.pem"
)

// CA is a loaded certificate authority that can issue certificates.
type CA struct {
	Cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	Cluster string
}

// CreateCA writes a new CA for cluster into dir: ca.pem and ca-key.pem (0600). It
// never replaces existing files.
func CreateCA(dir, cluster string, validity time.Duration) (*CA, error) {
	if err := validName("cluster", cluster); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "dxtrain CA " + cluster, Organization: []string{"dxtrain"}, OrganizationalUnit: []string{cluster}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	if err := writeKey(filepath.Join(dir, CAKeyFile), key); err != nil {
		return nil, err
	}
	if err := writeCert(filepath.Join(dir, CACertFile), der); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, key: key, Cluster: cluster}, nil
}

// LoadCA reads a CA directory written by CreateCA.
func LoadCA(dir string) (*CA, error) {
	certs, err := readCerts(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	key, err := readKey(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	c := certs[0]
	if !c.IsCA {
		return nil, fmt.Errorf("load CA: %s is not a CA certificate", filepath.Join(dir, CACertFile))
	}
	if !key.PublicKey.Equal(c.PublicKey) {
		return nil, fmt.Errorf("load CA: %s does not belong to %s", CAKeyFile, CACertFile)
	}
	if len(c.Subject.OrganizationalUnit) != 1 {
		return nil, fmt.Errorf("load CA: %s names no cluster", filepath.Join(dir, CACertFile))
	}
	return &CA{Cert: c, key: key, Cluster: c.Subject.OrganizationalUnit[0]}, nil
}

// Fingerprint is the SHA-256 of a certificate's DER, in hex, for a human to compare.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}
