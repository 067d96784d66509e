package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Files names the PEM files one process uses: the CA bundle it trusts, and its own
// certificate and key (both empty for a CLI user who presents only a token).
type Files struct {
	CA   string `yaml:"ca_file"`
	Cert string `yaml:"cert_file"`
	Key  string `yaml:"key_file"`
}

// Validate says which file is missing.
func (f Files) Validate() error {
	var errs []error
	if f.CA == "" {
		errs = append(errs, errors.New("tls ca_file is empty"))
	}
	if (f.Cert == "") != (f.Key == "") {
		errs = append(errs, fmt.Errorf("tls cert_file %q and key_file %q: give both or neither", f.Cert, f.Key))
	}
	return errors.Join(errs...)
}

// Source holds a process's TLS material and swaps it whole on Reload, so rotated
// certificates and CA bundles take effect for new connections without a restart.
// Connections already open keep the material they were made with.
type Source struct {
	files Files
	cur   atomic.Pointer[material]
}

type material struct {
	pool    *x509.CertPool
	cluster string
	cert    *tls.Certificate // nil: no certificate of our own
	id      Identity         // zero without a certificate
}

// Load reads the files; a missing, malformed or group-readable key is an error and
// nothing is loaded.
func Load(files Files) (*Source, error) {
	if err := files.Validate(); err != nil {
		return nil, err
	}
	s := &Source{files: files}
	m, err := load(files)
	if err != nil {
		return nil, err
	}
	s.cur.Store(m)
	return s, nil
}

// Reload rereads the files. On any error the material in use is kept and the error
// says what was wrong.
func (s *Source) Reload() error {
	m, err := load(s.files)
	if err != nil {
		return fmt.Errorf("reload tls: %w (the previous certificates stay in use)", err)
	}
	s.cur.Store(m)
	return nil
}

// Identity is this process's own certificate's identity (zero without one).
func (s *Source) Identity() Identity { return s.cur.Load().id }

// Cluster is the cluster the CA belongs to.
func (s *Source) Cluster() string { return s.cur.Load().cluster }

// Files are the paths the source reads.
func (s *Source) Files() Files { return s.files }

// NotAfter is when this process's own certificate expires (zero without one).
func (s *Source) NotAfter() (t0 time.Time) {
	m := s.cur.Load()
	if m.cert == nil {
		return t0
	}
	return m.cert.Leaf.NotAfter
}

func load(f Files) (*material, error) {
	cas, err := readCerts(f.CA)
	if err != nil {
		return nil, fmt.Errorf("tls ca_file: %w", err)
	}
	m := &material{pool: x509.NewCertPool()}
	for _, c := range cas {
		if !c.IsCA {
			return nil, fmt.Errorf("tls ca_file %s: %q is not a CA certificate", f.CA, c.Subject.CommonName)
		}
		if m.cluster == "" && len(c.Subject.OrganizationalUnit) == 1 {
			m.cluster = c.Subject.OrganizationalUnit[0]
		}
		m.pool.AddCert(c)
	}
	if m.cluster == "" {
		return nil, fmt.Errorf("tls ca_file %s: no CA names its cluster (not made by `dxtrain tls ca create`)", f.CA)
	}
	if f.Cert == "" {
		return m, nil
	}
	if err := CheckKeyFile(f.Key); err != nil {
		return nil, fmt.Errorf("tls key_file: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("tls cert_file %s, key_file %s: %w", f.Cert, f.Key, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls cert_file %s: %w", f.Cert, err)
		}
		pair.Leaf = leaf
	}
	id, err := IdentityOf(leaf)
	if err != nil {
		return nil, fmt.Errorf("tls cert_file %s: %w", f.Cert, err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: m.pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("tls cert_file %s: not valid under ca_file %s: %w", f.Cert, f.CA, err)
	}
	m.cert, m.id = &pair, id
	return m, nil
}
