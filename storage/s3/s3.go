// Package s3 is dxtrain's S3 object-store backend (AWS S3, MinIO, any S3-compatible
// server) over minio-go. Uploads are multipart for large objects with per-part checksums;
// every operation is retried with exponential backoff and jitter on transient failures
// (network errors, 5xx, SlowDown), so a restarting server does not fail a checkpoint; a
// failed multipart upload is aborted so no partial object or orphan part remains.
//
// Importing this package registers the "s3" scheme with storage.Open.
package s3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dxtrain/dxtrain/storage"
)

func init() {
	storage.Register("s3", func(ctx context.Context, loc storage.Location, cfg storage.Config) (storage.Store, error) {
		return New(ctx, Config{Config: cfg, Bucket: loc.Bucket, Prefix: loc.Prefix})
	})
}

// Checksum selects the per-part checksum S3 verifies on upload.
type Checksum string

// Checksums S3 and MinIO verify server-side.
const (
	ChecksumCRC32C Checksum = "crc32c" // fast; the default
	ChecksumSHA256 Checksum = "sha256"
)

// Config configures a Store: the shared storage.Config (endpoint, credentials, part
// size, bucket creation) plus where objects go and how failures are retried. Printing
// it (String, LogValue, %#v) never shows the credentials.
type Config struct {
	storage.Config
	// Bucket holds the objects; Prefix ("" or a valid key) is prepended with a "/".
	Bucket string
	Prefix string
	// Checksum is the per-part upload checksum; "" means ChecksumCRC32C.
	Checksum Checksum
	// Retry bounds the retries of whole operations; zero fields take DefaultRetry's.
	Retry RetryPolicy
	// RequestRetries is minio-go's own per-request retry count (it retries a single
	// failed part without restarting the upload); 0 keeps minio-go's default of 10,
	// 1 disables it.
	RequestRetries int
	// SpoolDir holds the temporary copy of a non-seekable upload, kept so the upload
	// can be retried from the start; "" means os.TempDir().
	SpoolDir string
	// Logger receives retry warnings; nil means slog.Default().
	Logger *slog.Logger
}

// GoString keeps %#v from printing the embedded credentials.
func (c Config) GoString() string {
	return fmt.Sprintf("s3.Config{%s bucket=%q prefix=%q checksum=%q retry=%+v}", c.Config, c.Bucket, c.Prefix, c.Checksum, c.Retry)
}

// String describes the config without credentials.
func (c Config) String() string { return c.GoString() }

// Store is an S3 bucket (and optional prefix) as a storage.Store.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or "p/" ready to prepend
	partSize uint64
	checksum minio.ChecksumType
	retry    RetryPolicy
	spoolDir string
	log      *slog.Logger
}

var _ storage.Store = (*Store)(nil)

// New builds a Store. It contacts the server only when CreateBucket is set.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Config.Validate(); err != nil {
		return nil, err
	}
	base := cfg.Config.Normalized()
	if err := storage.ValidateBucket(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("s3 store: %w", err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := storage.ValidateKey(prefix); err != nil {
			return nil, fmt.Errorf("s3 store: prefix: %w", err)
		}
	}
	endpoint := base.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	var creds *credentials.Credentials
	if base.AccessKey != "" {
		creds = credentials.NewStaticV4(base.AccessKey, base.SecretKey, "")
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	transport, err := endpointTransport(base)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:           creds,
		Secure:          !base.Insecure,
		Region:          base.Region,
		TrailingHeaders: true, // needed for the per-part checksums
		MaxRetries:      cfg.RequestRetries,
		Transport:       transport,
	})
	if err != nil {
		// minio-go's errors here concern the endpoint, never the credentials.
		return nil, fmt.Errorf("s3 store: endpoint %q: %w", endpoint, err)
	}
	s := &Store{
		client:   client,
		bucket:   cfg.Bucket,
		partSize: uint64(base.PartSize),
		retry:    cfg.Retry.withDefaults(),
		spoolDir: cfg.SpoolDir,
		log:      cfg.Logger,
	}
	if prefix != "" {
		s.prefix = prefix + "/"
	}
	switch cfg.Checksum {
	case "", ChecksumCRC32C:
		s.checksum = minio.ChecksumCRC32C
	case ChecksumSHA256:
		s.checksum = minio.ChecksumSHA256
	default:
		return nil, fmt.Errorf("s3 store: checksum %q: want %q or %q", cfg.Checksum, ChecksumCRC32C, ChecksumSHA256)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if base.CreateBucket {
		if err := s.ensureBucket(ctx, base.Region); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// String names the store (for logs); it never holds credentials.
func (s *Store) String() string { return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/") }

// Client exposes the underlying minio-go client for tests and tools (listing incomplete
// uploads, bucket administration).
func (s *Store) Client() *minio.Client { return s.client }

// Bucket is the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// ObjectName is the S3 object name that key is stored under.
func (s *Store) ObjectName(key string) string { return s.prefix + key }

func (s *Store) ensureBucket(ctx context.Context, region string) error {
	_, err := s.do(ctx, "create bucket", func() error {
		exists, err := s.client.BucketExists(ctx, s.bucket)
		if err != nil || exists {
			return err
		}
		err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
		if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("s3 store: create bucket %q: %w", s.bucket, err)
	}
	return nil
}

// wrap adds the operation, store and key to an error and maps S3's "no such key" to
// storage.ErrNotFound.
func (s *Store) wrap(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("s3 store %s: %s %q: %w", s, op, key, storage.ErrNotFound)
	}
	return fmt.Errorf("s3 store %s: %s %q: %w", s, op, key, err)
}

func isNotFound(err error) bool {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	return resp.Code == "NoSuchKey" || resp.Code == "NoSuchObject" ||
		resp.StatusCode == 404 && resp.Code != "NoSuchBucket" && resp.Code != "NoSuchUpload"
}
