package s3

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/minio/minio-go/v7"

	"github.com/dxtrain/dxtrain/storage"
)

// endpointTransport is minio-go's default transport, trusting cfg.CACertFile's CAs
// instead of the system's when it is set (a MinIO behind a trust's private CA). nil
// keeps minio-go's default.
func endpointTransport(cfg storage.Config) (http.RoundTripper, error) {
	if cfg.CACertFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(cfg.CACertFile)
	if err != nil {
		return nil, fmt.Errorf("s3 store: ca cert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("s3 store: ca cert %s: no PEM certificate in the file", cfg.CACertFile)
	}
	tr, err := minio.DefaultTransport(true)
	if err != nil {
		return nil, fmt.Errorf("s3 store: transport: %w", err)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}
