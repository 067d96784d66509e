package s3_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// gateReader runs fire once, synchronously, when the upload has read past at bytes. It
// hides bytes.Reader's ReadAt so minio-go streams the parts in order through Read.
type gateReader struct {
	r    *bytes.Reader
	at   int64
	read int64
	once sync.Once
	fire func()
}

func (g *gateReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.read += int64(n)
	if g.read > g.at {
		g.once.Do(g.fire)
	}
	return n, err
}

func (g *gateReader) Seek(off int64, whence int) (int64, error) { return g.r.Seek(off, whence) }

// TestServerRestartMidUpload kills MinIO (SIGKILL) while a multipart upload is in flight
// and starts it again on the same port and directory. What holds: the retrying Put
// completes, the object reads back whole, and no incomplete upload is left.
func TestServerRestartMidUpload(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := srv.Config()
	cfg.PartSize = 5 << 20
	var logs syncBuffer
	s, err := s3.New(t.Context(), s3.Config{Config: cfg, Bucket: newBucketName("restart"), RequestRetries: 2,
		Retry:  s3.RetryPolicy{MaxAttempts: 30, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxElapsed: 90 * time.Second},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(42, 24<<20)
	restarted := make(chan error, 1)
	src := &gateReader{r: bytes.NewReader(data), at: 12 << 20, fire: func() {
		srv.Stop() // parts 1 and 2 are on the server; part 3 is being read
		go func() { restarted <- srv.Restart() }()
	}}
	if err := s.Put(t.Context(), "ckpt/step-100/params", src, int64(len(data))); err != nil {
		t.Fatalf("Put across a server restart: %v\nlogs:\n%s", err, logs.String())
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("the upload never saw the outage (no retry logged); the test exercised nothing:\n%s", logs.String())
	}
	rc, err := s.Get(t.Context(), "ckpt/step-100/params")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object after the restart: %d bytes (want %d), equal %t, %v", len(got), len(data), bytes.Equal(got, data), err)
	}
	if n := incomplete(t, s, "ckpt/step-100/params"); n != 0 {
		t.Fatalf("%d incomplete multipart uploads left after the retried Put", n)
	}
}

// TestServerDownTooLongFailsCleanly: when the server stays down past the retry budget,
// Put fails with an error; once the server is back no partial object is visible, the
// parts the dead attempt could not abort are cleared by SweepIncomplete, and a new Put
// of the key succeeds.
func TestServerDownTooLongFailsCleanly(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := srv.Config()
	cfg.PartSize = 5 << 20
	s, err := s3.New(t.Context(), s3.Config{Config: cfg, Bucket: newBucketName("down"), RequestRetries: 1,
		Retry:  s3.RetryPolicy{MaxAttempts: 4, BaseDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond, MaxElapsed: 2 * time.Second},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(43, 12<<20)
	src := &gateReader{r: bytes.NewReader(data), at: 6 << 20, fire: srv.Stop}
	err = s.Put(t.Context(), "ckpt/blob", src, int64(len(data)))
	if err == nil || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("Put with the server down: %v; want a give-up error", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(t.Context(), "ckpt/blob"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after the failed Put, Stat = %v; want ErrNotFound", err)
	}
	left := incomplete(t, s, "ckpt/blob")
	t.Logf("incomplete uploads left by the failed Put (its abort could not reach the server): %d", left)
	if n, err := s.SweepIncomplete(t.Context(), time.Hour, "ckpt/blob"); err != nil || n != 0 {
		t.Fatalf("SweepIncomplete(1h) = %d, %v; want 0 (the upload is younger than the grace period)", n, err)
	}
	if n, err := s.SweepIncomplete(t.Context(), 0, "ckpt/blob"); err != nil || n != left {
		t.Fatalf("SweepIncomplete(0) = %d, %v; want %d", n, err, left)
	}
	if n := incomplete(t, s, "ckpt/blob"); n != 0 {
		t.Fatalf("%d incomplete uploads remain after SweepIncomplete", n)
	}
	if err := s.Put(t.Context(), "ckpt/blob", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put after the server is back: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
