package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// DefaultPartSize is the multipart part size for S3 uploads: large enough that a
// checkpoint tensor needs few requests, small enough that a retried part is cheap.
const DefaultPartSize = 16 << 20

// minPartSize is S3's smallest allowed part (except the last).
const minPartSize = 5 << 20

// Config holds what Open needs besides the URL: S3 endpoint and credentials, and upload
// tuning. The file backend ignores it. Credentials come from config or the environment
// (ConfigFromEnv) and never from the URL, and String/LogValue/GoString never print them.
type Config struct {
	// Endpoint is the S3 server as host[:port] (a "http://" or "https://" prefix is
	// accepted and sets Insecure accordingly). Empty means AWS ("s3.amazonaws.com").
	Endpoint string
	// Region is the bucket region; empty lets the client discover it.
	Region string
	// AccessKey and SecretKey are the S3 credentials. Secret: never logged.
	AccessKey string
	SecretKey string
	// Insecure selects plain HTTP instead of TLS; for a loopback MinIO in dev and tests.
	Insecure bool
	// CACertFile is a PEM bundle of the CAs that sign the S3 endpoint's certificate,
	// for a MinIO behind the trust's private CA; empty trusts the system's roots.
	CACertFile string
	// PartSize is the multipart part size in bytes; 0 means DefaultPartSize.
	PartSize int64
	// CreateBucket creates the bucket on Open when it is missing (dev and tests).
	CreateBucket bool
	// KEK turns on encryption at rest: Open wraps the backend in an EncryptedStore
	// writing every object under it. Secret: only its ID is ever printed.
	KEK KEK
	// PreviousKEK is accepted for reads only, while `dxtrain keys rotate-kek` moves
	// objects from it to KEK. Secret, like KEK.
	PreviousKEK KEK
	// Plaintext is what reading an object written before encryption was turned on does:
	// PlaintextWarn ("" too) or PlaintextRefuse.
	Plaintext PlaintextPolicy
}

// ConfigFromEnv reads DXTRAIN_S3_ENDPOINT, DXTRAIN_S3_ACCESS_KEY (or AWS_ACCESS_KEY_ID),
// DXTRAIN_S3_SECRET_KEY (or AWS_SECRET_ACCESS_KEY), DXTRAIN_S3_REGION and
// DXTRAIN_S3_INSECURE (a boolean: "1", "true", …), DXTRAIN_S3_CACERT (a CA bundle), and
// the encryption at rest settings
// (kekFromEnv). Unset variables leave zero values.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		Endpoint:   os.Getenv("DXTRAIN_S3_ENDPOINT"),
		AccessKey:  firstEnv("DXTRAIN_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
		SecretKey:  firstEnv("DXTRAIN_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"),
		Region:     os.Getenv("DXTRAIN_S3_REGION"),
		CACertFile: os.Getenv("DXTRAIN_S3_CACERT"),
	}
	if v := os.Getenv("DXTRAIN_S3_INSECURE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("DXTRAIN_S3_INSECURE=%q: want a boolean (1, 0, true, false)", v)
		}
		cfg.Insecure = b
	}
	if err := kekFromEnv(&cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// kekFromEnv reads DXTRAIN_STORE_KEK (the key itself, hex or base64) or
// DXTRAIN_STORE_KEK_FILE (a 0600 file holding it), DXTRAIN_STORE_KEK_PREVIOUS_FILE (the
// old KEK during a rotation) and DXTRAIN_STORE_PLAINTEXT (warn or refuse).
func kekFromEnv(cfg *Config) error {
	val, file := os.Getenv("DXTRAIN_STORE_KEK"), os.Getenv("DXTRAIN_STORE_KEK_FILE")
	var err error
	switch {
	case val != "" && file != "":
		return errors.New("DXTRAIN_STORE_KEK and DXTRAIN_STORE_KEK_FILE are both set: set one")
	case val != "":
		if cfg.KEK, err = ParseKEK(val); err != nil {
			return fmt.Errorf("DXTRAIN_STORE_KEK: %w", err)
		}
	case file != "":
		if cfg.KEK, err = LoadKEKFile(file); err != nil {
			return fmt.Errorf("DXTRAIN_STORE_KEK_FILE: %w", err)
		}
	}
	if prev := os.Getenv("DXTRAIN_STORE_KEK_PREVIOUS_FILE"); prev != "" {
		if cfg.PreviousKEK, err = LoadKEKFile(prev); err != nil {
			return fmt.Errorf("DXTRAIN_STORE_KEK_PREVIOUS_FILE: %w", err)
		}
	}
	cfg.Plaintext = PlaintextPolicy(os.Getenv("DXTRAIN_STORE_PLAINTEXT"))
	if err := cfg.Plaintext.validate(); err != nil {
		return fmt.Errorf("DXTRAIN_STORE_PLAINTEXT: %w", err)
	}
	return nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// Normalized returns the config with the endpoint's scheme folded into Insecure and
// PartSize defaulted.
func (c Config) Normalized() Config {
	switch {
	case strings.HasPrefix(c.Endpoint, "http://"):
		c.Endpoint, c.Insecure = strings.TrimPrefix(c.Endpoint, "http://"), true
	case strings.HasPrefix(c.Endpoint, "https://"):
		c.Endpoint, c.Insecure = strings.TrimPrefix(c.Endpoint, "https://"), false
	}
	c.Endpoint = strings.TrimSuffix(c.Endpoint, "/")
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	return c
}

// Validate names each violated limit.
func (c Config) Validate() error {
	n := c.Normalized()
	var problems []string
	if strings.ContainsAny(n.Endpoint, "/?#@ ") {
		problems = append(problems, fmt.Sprintf("endpoint %q: want host[:port] with an optional http:// or https:// prefix", n.Endpoint))
	}
	if n.PartSize < minPartSize {
		problems = append(problems, fmt.Sprintf("part size %d: below the S3 minimum of %d bytes", n.PartSize, minPartSize))
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		problems = append(problems, "credentials: access key and secret key must be set together")
	}
	if n.CACertFile != "" && n.Insecure {
		problems = append(problems, fmt.Sprintf("ca cert %s: given for a plain-http endpoint (drop DXTRAIN_S3_INSECURE or use https://)", n.CACertFile))
	}
	if err := c.Plaintext.validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.PreviousKEK.IsSet() && !c.KEK.IsSet() {
		problems = append(problems, "previous key-encryption key: set only with a current one")
	}
	if len(problems) > 0 {
		return fmt.Errorf("storage config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// String describes the config without its credentials.
func (c Config) String() string {
	return fmt.Sprintf("storage.Config{endpoint=%q region=%q access_key=%s secret_key=%s insecure=%t part_size=%d create_bucket=%t kek=%s previous_kek=%s plaintext=%q}",
		c.Endpoint, c.Region, redacted(c.AccessKey), redacted(c.SecretKey), c.Insecure, c.PartSize, c.CreateBucket,
		c.KEK.ID(), c.PreviousKEK.ID(), string(c.Plaintext))
}

// GoString keeps %#v from printing the credentials.
func (c Config) GoString() string { return c.String() }

// LogValue makes slog print the config without its credentials.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("region", c.Region),
		slog.String("access_key", redacted(c.AccessKey)),
		slog.String("secret_key", redacted(c.SecretKey)),
		slog.Bool("insecure", c.Insecure),
		slog.Int64("part_size", c.PartSize),
		slog.Bool("create_bucket", c.CreateBucket),
		slog.String("kek", c.KEK.ID()),
		slog.String("previous_kek", c.PreviousKEK.ID()),
		slog.String("plaintext", string(c.Plaintext)),
	)
}

// redacted says whether a credential is set, never what it is. The access key ID is not a
// secret in S3's model, but it identifies an account, so it is hidden too.
func redacted(s string) string {
	if s == "" {
		return "unset"
	}
	return "[redacted]"
}
