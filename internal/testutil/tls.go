package testutil

import (
	"crypto/tls"
	"io"
	"testing"
	"time"
)

// TLSExchange completes a TLS handshake with addr and one request-sized exchange:
// a TLS 1.3 server reports a refused client certificate only after the client's side
// of the handshake ends, so a read is needed to see the refusal.
func TLSExchange(addr string, cfg *tls.Config) error {
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 1))
	return err
}

// Presenting is a client configuration that offers the certificate in certFile and
// keyFile and trusts any server, so that only the server's own checks decide; it
// offers certificates a pki.Source would refuse to load (an expired one).
func Presenting(t testing.TB, certFile, keyFile string) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
}
