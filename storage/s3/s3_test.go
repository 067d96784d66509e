package s3_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
	"github.com/dxtrain/dxtrain/storage/storagetest"
)

var bucketSeq atomic.Int64

// newBucketName gives each store its own bucket, so subtests start empty.
func newBucketName(tag string) string {
	return fmt.Sprintf("%s-%d", tag, bucketSeq.Add(1))
}

func TestConformance(t *testing.T) {
	srv := miniotest.Start(t)
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := s3.New(t.Context(), s3.Config{Config: srv.Config(), Bucket: newBucketName("conformance"), Prefix: "run/1"})
		if err != nil {
			t.Fatalf("s3.New: %v", err)
		}
		return s
	})
}

func TestOpenURLUsesPrefix(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := newBucketName("open")
	st, err := storage.Open(t.Context(), "s3://"+bucket+"/exp/a", srv.Config())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := st.Put(t.Context(), "k/obj", strings.NewReader("hello"), 5); err != nil {
		t.Fatalf("Put: %v", err)
	}
	list, err := st.List(t.Context(), "")
	if err != nil || len(list) != 1 || list[0].Key != "k/obj" {
		t.Fatalf("List = %+v, %v; want the key without the store prefix", list, err)
	}
	s := st.(*storage.EncryptedStore).Inner().(*s3.Store) // Open wraps every backend
	if _, err := s.Client().StatObject(t.Context(), bucket, "exp/a/k/obj", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("object is not under the url prefix in the bucket: %v", err)
	}
}

func TestChecksumSHA256(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := srv.Config()
	cfg.PartSize = 5 << 20
	s, err := s3.New(t.Context(), s3.Config{Config: cfg, Bucket: newBucketName("sha"), Checksum: s3.ChecksumSHA256})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), (12<<20)/16) // 12 MiB: three parts
	sha, err := storage.PutBlob(t.Context(), s, data)
	if err != nil {
		t.Fatalf("PutBlob with SHA-256 part checksums: %v", err)
	}
	if _, err := storage.VerifyBlob(t.Context(), s, sha); err != nil {
		t.Fatalf("VerifyBlob: %v", err)
	}
}

func TestWrongCredentialsFailFastWithoutLeaking(t *testing.T) {
	srv := miniotest.Start(t)
	// Create the bucket with good credentials, then use a wrong secret.
	good := srv.Config()
	bucket := newBucketName("creds")
	if _, err := s3.New(t.Context(), s3.Config{Config: good, Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.CreateBucket = false
	bad.SecretKey = "wrong-secret-" + srv.SecretKey[:8] + "-zz"
	var logs bytes.Buffer
	s, err := s3.New(t.Context(), s3.Config{Config: bad, Bucket: bucket,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(t.Context(), "k", strings.NewReader("x"), 1)
	if err == nil {
		t.Fatal("Put with a wrong secret key succeeded")
	}
	out := err.Error() + logs.String() + fmt.Sprintf("%v %+v %#v", bad, s3.Config{Config: bad}, s3.Config{Config: bad})
	for _, secret := range []string{bad.SecretKey, srv.SecretKey, srv.AccessKey} {
		if strings.Contains(out, secret) {
			t.Fatalf("a credential leaked into errors, logs or printed config: %s", out)
		}
	}
	if strings.Contains(logs.String(), "retrying") {
		t.Fatalf("an authentication failure was retried: %s", logs.String())
	}
}
