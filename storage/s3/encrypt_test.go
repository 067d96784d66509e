package s3_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
	"github.com/dxtrain/dxtrain/storage/storagetest"
)

func TestEncryptedConformance(t *testing.T) {
	srv := miniotest.Start(t)
	kek, err := storage.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	storagetest.Run(t, func(t *testing.T) storage.Store {
		cfg := srv.Config()
		cfg.KEK = kek
		st, err := storage.Open(t.Context(), "s3://"+newBucketName("enc")+"/run", cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return st
	})
}

// TestEncryptedOnMinIO goes through storage.Open as the binaries do: the bucket holds
// no plaintext, tampering in the bucket is refused naming the key, and rotate-kek moves
// every object to the new KEK in place.
func TestEncryptedOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	old, _ := storage.GenerateKEK()
	new, _ := storage.GenerateKEK()
	bucket := newBucketName("enc-minio")
	cfg := srv.Config()
	cfg.KEK = old
	st, err := storage.Open(t.Context(), "s3://"+bucket+"/p", cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw := st.(*storage.EncryptedStore).Inner().(*s3.Store)
	data := bytes.Repeat([]byte("0123456789abcdef"), 70_000) // 1.1 MB
	sha, err := storage.PutBlobVerified(t.Context(), st, data)
	if err != nil {
		t.Fatal(err)
	}
	key := storage.BlobKey(sha)
	if info, err := st.Stat(t.Context(), key); err != nil || info.Size != int64(len(data)) {
		t.Fatalf("Stat = %+v, %v; want the plaintext size %d", info, err, len(data))
	}
	if list, err := st.List(t.Context(), "blobs/"); err != nil || len(list) != 1 || list[0].Size != int64(len(data)) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	obj, err := raw.Client().GetObject(t.Context(), bucket, raw.ObjectName(key), minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, data[:16]) || !strings.HasPrefix(string(ct), "DXENC1\n") {
		t.Fatal("the bucket holds plaintext, or an object without the encryption header")
	}

	// Rotation, then reads under the new KEK alone.
	rep, err := storage.RotateKEK(t.Context(), st, old, new)
	if err != nil || rep != (storage.RotateReport{Rewrapped: 1}) {
		t.Fatalf("RotateKEK = %+v, %v", rep, err)
	}
	cfg.KEK = new
	st2, err := storage.Open(t.Context(), "s3://"+bucket+"/p", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.VerifyBlob(t.Context(), st2, sha); err != nil {
		t.Fatalf("VerifyBlob under the new KEK after rotation: %v", err)
	}
	cfg.KEK = old
	st3, _ := storage.Open(t.Context(), "s3://"+bucket+"/p", cfg)
	if _, err := storage.GetBlob(t.Context(), st3, sha); !errors.Is(err, storage.ErrWrongKEK) {
		t.Fatalf("GetBlob under the old KEK after rotation: %v; want ErrWrongKEK", err)
	}

	// Tampering with the ciphertext in the bucket, through the raw backend.
	ct, _ = io.ReadAll(must(raw.Get(t.Context(), key)))
	ct[len(ct)/2] ^= 0x40
	if err := raw.Put(t.Context(), key, bytes.NewReader(ct), int64(len(ct))); err != nil {
		t.Fatal(err)
	}
	got, err := storage.GetBlob(t.Context(), st2, sha)
	if !errors.Is(err, storage.ErrTampered) || got != nil || !strings.Contains(err.Error(), key) {
		t.Fatalf("GetBlob of tampered ciphertext = %d bytes, %v; want nothing and ErrTampered naming %s", len(got), err, key)
	}
}

func must(rc io.ReadCloser, err error) io.ReadCloser {
	if err != nil {
		panic(err)
	}
	return rc
}
