package s3_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// faultProxy forwards to a real MinIO server and injects failures chosen per request:
// an S3 error status, or a connection dropped mid-request. MinIO still does all the real
// work; the proxy only plays the unreliable network or an overloaded server.
type faultProxy struct {
	addr     string
	requests atomic.Int64
	injected atomic.Int64
	mu       sync.Mutex
	fault    func(r *http.Request) (status int, code string, reset bool)
}

func startFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	p := &faultProxy{}
	u := &url.URL{Scheme: "http", Host: target}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // the client signed the request for the proxy's host
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		p.mu.Lock()
		f := p.fault
		p.mu.Unlock()
		if f != nil {
			if status, code, reset := f(r); reset || status != 0 {
				p.injected.Add(1)
				if reset {
					_, _ = io.CopyN(io.Discard, r.Body, 64<<10) // take part of the body, then drop
					panic(http.ErrAbortHandler)
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected %s</Message></Error>`, code, code)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}), ErrorLog: nil}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *faultProxy) set(f func(r *http.Request) (int, string, bool)) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

func isPartUpload(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Has("partNumber")
}

// storeVia builds a store that talks to MinIO through the proxy, with minio-go's own
// per-request retries off so every failure reaches the store's retry loop.
func storeVia(t *testing.T, srv *miniotest.Server, p *faultProxy, bucket string, retry s3.RetryPolicy, logs io.Writer) *s3.Store {
	t.Helper()
	cfg := srv.Config()
	cfg.Endpoint = p.addr
	cfg.PartSize = 5 << 20
	s, err := s3.New(t.Context(), s3.Config{Config: cfg, Bucket: bucket, RequestRetries: 1, Retry: retry,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("s3.New via proxy: %v", err)
	}
	return s
}

func randomData(seed uint64, n int) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0] = byte(seed)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// incomplete lists unfinished multipart uploads of an object, straight from MinIO.
func incomplete(t *testing.T, s *s3.Store, key string) int {
	t.Helper()
	n := 0
	for u := range s.Client().ListIncompleteUploads(t.Context(), s.Bucket(), s.ObjectName(key), true) {
		if u.Err != nil {
			t.Fatalf("list incomplete uploads: %v", u.Err)
		}
		if u.Key == s.ObjectName(key) {
			n++
		}
	}
	return n
}

var fastRetry = s3.RetryPolicy{MaxAttempts: 8, BaseDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, MaxElapsed: 30 * time.Second}

func TestTransientFailuresAreRetried(t *testing.T) {
	srv := miniotest.Start(t)
	p := startFaultProxy(t, srv.Addr)
	cases := []struct {
		name   string
		stream bool // upload from a non-seekable reader (spooled before the first attempt)
		fault  func(n int64, r *http.Request) (int, string, bool)
	}{
		{"503 SlowDown on the first three requests", false, func(n int64, r *http.Request) (int, string, bool) {
			return map[bool]int{true: 503}[n <= 3], "SlowDown", false
		}},
		{"500 InternalError on the second part", false, func(n int64, r *http.Request) (int, string, bool) {
			return map[bool]int{true: 500}[isPartUpload(r) && r.URL.Query().Get("partNumber") == "2" && n < 10], "InternalError", false
		}},
		{"connection dropped mid-part", false, func(n int64, r *http.Request) (int, string, bool) {
			return 0, "", isPartUpload(r) && r.URL.Query().Get("partNumber") == "3" && n < 12
		}},
		{"connection dropped mid-part, streamed source", true, func(n int64, r *http.Request) (int, string, bool) {
			return 0, "", isPartUpload(r) && r.URL.Query().Get("partNumber") == "2" && n < 12
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := storeVia(t, srv, p, newBucketName("transient"), fastRetry, &logs)
			data := randomData(uint64(i), 17<<20) // four parts of 5 MiB
			before, injectedBefore := p.requests.Load(), p.injected.Load()
			p.set(func(r *http.Request) (int, string, bool) { return tc.fault(p.requests.Load()-before, r) })
			defer p.set(nil)
			sha := storage.Digest(data)
			var err error
			if tc.stream {
				err = s.Put(t.Context(), storage.BlobKey(sha), struct{ io.Reader }{bytes.NewReader(data)}, int64(len(data)))
			} else {
				_, err = storage.PutBlob(t.Context(), s, data)
			}
			if err != nil {
				t.Fatalf("upload through transient failures: %v\nlogs:\n%s", err, logs.String())
			}
			if p.injected.Load() == injectedBefore {
				t.Fatal("no fault was injected; the test exercised nothing")
			}
			if !strings.Contains(logs.String(), "retrying") {
				t.Fatalf("no retry was logged:\n%s", logs.String())
			}
			p.set(nil)
			if _, err := storage.VerifyBlob(t.Context(), s, sha); err != nil {
				t.Fatalf("VerifyBlob after retried upload: %v", err)
			}
			if n := incomplete(t, s, storage.BlobKey(sha)); n != 0 {
				t.Fatalf("%d incomplete multipart uploads left behind", n)
			}
			if strings.Contains(logs.String(), srv.SecretKey) {
				t.Fatal("the secret key reached the logs")
			}
		})
	}
}

func TestPersistentFailureAbortsUpload(t *testing.T) {
	srv := miniotest.Start(t)
	p := startFaultProxy(t, srv.Addr)
	var logs bytes.Buffer
	policy := s3.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxElapsed: 10 * time.Second}
	s := storeVia(t, srv, p, newBucketName("persistent"), policy, &logs)
	// Every third part upload fails: each attempt gets parts in but can never complete.
	var parts atomic.Int64
	p.set(func(r *http.Request) (int, string, bool) {
		if isPartUpload(r) && parts.Add(1)%3 == 0 {
			return 503, "SlowDown", false
		}
		return 0, "", false
	})
	data := randomData(9, 16<<20)
	start := time.Now()
	err := s.Put(t.Context(), "ckpt/blob", bytes.NewReader(data), int64(len(data)))
	p.set(nil)
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") || !strings.Contains(err.Error(), `"ckpt/blob"`) {
		t.Fatalf("Put against a persistently failing server: %v; want a give-up error naming the key", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("Put took %s to give up; the policy bounds it", took)
	}
	if _, err := s.Stat(t.Context(), "ckpt/blob"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after a failed Put, Stat = %v; want ErrNotFound (no partial object)", err)
	}
	if n := incomplete(t, s, "ckpt/blob"); n != 0 {
		t.Fatalf("%d incomplete multipart uploads left after the failed Put; want them aborted", n)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	srv := miniotest.Start(t)
	p := startFaultProxy(t, srv.Addr)
	var logs bytes.Buffer
	s := storeVia(t, srv, p, newBucketName("permanent"), fastRetry, &logs)
	p.set(func(r *http.Request) (int, string, bool) {
		return map[bool]int{true: 403}[r.Method == http.MethodPut], "AccessDenied", false
	})
	before := p.requests.Load()
	err := s.Put(t.Context(), "k", strings.NewReader("abc"), 3)
	p.set(nil)
	if err == nil || strings.Contains(logs.String(), "retrying") {
		t.Fatalf("Put refused with AccessDenied: err %v, logs %s; want one failed attempt", err, logs.String())
	}
	if n := p.requests.Load() - before; n > 3 {
		t.Fatalf("AccessDenied led to %d requests; want no retries", n)
	}
}

func TestMissingBucketIsNotRetried(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := srv.Config()
	cfg.CreateBucket = false
	var logs bytes.Buffer
	s, err := s3.New(t.Context(), s3.Config{Config: cfg, Bucket: newBucketName("absent"), Retry: fastRetry,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(t.Context(), "k", strings.NewReader("x"), 1)
	if err == nil || !strings.Contains(err.Error(), "bucket") || strings.Contains(logs.String(), "retrying") {
		t.Fatalf("Put into a missing bucket: %v (logs %q); want a prompt error about the bucket", err, logs.String())
	}
	if _, err := s.Stat(t.Context(), "k"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat in a missing bucket: %v; want an error that is not ErrNotFound", err)
	}
}
