package s3_test

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// TestHTTPSEndpointWithPrivateCA runs MinIO with a certificate of a private CA: the
// store trusts it through CACertFile, refuses it without, and a recording proxy in
// front of it sees no object bytes in the clear.
func TestHTTPSEndpointWithPrivateCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.CreateCA(filepath.Join(dir, "ca"), "storage", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ca.Issue(dir, pki.CertRequest{Role: pki.RoleServer, Name: "minio", Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := miniotest.StartTLS(t, f.Cert, f.Key)
	proxy := testutil.StartProxy(t, srv.Addr)
	cfg := srv.Config()
	cfg.Endpoint, cfg.CACertFile = "https://"+proxy.Addr(), filepath.Join(dir, "ca", pki.CACertFile)

	st, err := s3.New(t.Context(), s3.Config{Config: cfg, Bucket: newBucketName("https")})
	if err != nil {
		t.Fatalf("s3.New over https with the private CA: %v", err)
	}
	payload := bytes.Repeat([]byte("canary-4f2a91 patient-derived bytes "), 1000)
	if err := st.Put(t.Context(), "blobs/x", bytes.NewReader(payload), int64(len(payload))); err != nil {
		t.Fatalf("Put over https: %v", err)
	}
	rc, err := st.Get(t.Context(), "blobs/x")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("Get over https: %d bytes, %v", len(got), err)
	}
	if wire := proxy.Captured(); len(wire) < len(payload) || bytes.Contains(wire, []byte("canary-4f2a91")) {
		t.Fatalf("the object crossed the wire in the clear (%d bytes captured)", len(wire))
	}

	// The system's roots, or another CA, do not vouch for the endpoint.
	other, err := pki.CreateCA(filepath.Join(dir, "other"), "storage", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	for name, caFile := range map[string]string{"system roots": "", "another CA": filepath.Join(dir, "other", pki.CACertFile)} {
		c := cfg
		c.CACertFile = caFile
		bad, err := s3.New(t.Context(), s3.Config{Config: c, Bucket: newBucketName("https-bad"), RequestRetries: 1})
		if err == nil {
			err = bad.Put(t.Context(), "blobs/y", strings.NewReader("x"), 1)
		}
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: %v, want a certificate refusal", name, err)
		}
	}
	bad := cfg
	bad.Insecure, bad.Endpoint = true, proxy.Addr()
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "plain-http") {
		t.Fatalf("a CA for a plain-http endpoint: %v", err)
	}
	_ = storage.Config{}
}
