package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"sync"
)

// Location is a parsed storage URL.
type Location struct {
	// Scheme is "file" or "s3".
	Scheme string
	// Path is the absolute, cleaned directory of a file:// store.
	Path string
	// Bucket and Prefix locate an s3:// store; Prefix ("" or a valid key, no trailing
	// slash) is prepended to every key with a "/".
	Bucket string
	Prefix string
}

// String renders the location back as a URL (it never holds credentials).
func (l Location) String() string {
	switch l.Scheme {
	case "file":
		return (&url.URL{Scheme: "file", Path: l.Path}).String()
	case "s3":
		u := &url.URL{Scheme: "s3", Host: l.Bucket}
		if l.Prefix != "" {
			u.Path = "/" + l.Prefix
		}
		return u.String()
	}
	return l.Scheme + "://?"
}

// Opener builds a Store for a parsed location; backends in subpackages register one.
type Opener func(ctx context.Context, loc Location, cfg Config) (Store, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{"file": openFile}
)

// Register makes Open handle scheme. The s3 backend registers "s3" from its init, so a
// program that opens s3:// URLs imports github.com/dxtrain/dxtrain/storage/s3 (this
// package cannot import it: the backend imports this one). Registering twice panics.
func Register(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic("storage: Register called twice for scheme " + scheme)
	}
	openers[scheme] = open
}

// Open returns the Store named by rawURL: "file:///abs/path" (a local directory, created
// if missing) or "s3://bucket/prefix" (endpoint and credentials from cfg). Credentials in
// the URL itself are refused, so they cannot leak through logs that print the URL. The
// store is an *EncryptedStore over the backend, encrypting at rest when cfg.KEK is set.
func Open(ctx context.Context, rawURL string, cfg Config) (Store, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	openersMu.RLock()
	open := openers[loc.Scheme]
	openersMu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("open storage %s: %w: scheme %q has no backend linked in (import github.com/dxtrain/dxtrain/storage/%s)",
			loc, ErrUnsupportedURL, loc.Scheme, loc.Scheme)
	}
	if err := cfg.Plaintext.validate(); err != nil {
		return nil, fmt.Errorf("open storage %s: %w", loc, err)
	}
	s, err := open(ctx, loc, cfg)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", loc, err)
	}
	// Always wrapped: without a KEK the wrapper writes plaintext but still refuses to
	// hand out an encrypted object's ciphertext (ErrNoKEK), which a caller hashing it
	// would otherwise report as a corrupt blob.
	es, err := NewEncryptedStore(s, Encryption{KEK: cfg.KEK, Previous: cfg.PreviousKEK, Plaintext: cfg.Plaintext})
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", loc, err)
	}
	return es, nil
}

func openFile(_ context.Context, loc Location, _ Config) (Store, error) {
	return NewFileStore(loc.Path)
}

// ParseURL parses and checks a storage URL without opening it. Its errors never repeat
// the URL's user-info part.
func ParseURL(rawURL string) (Location, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Location{}, fmt.Errorf("storage url: %w: %v", ErrUnsupportedURL, err)
	}
	// Show the URL without user-info or an opaque part, which may hold credentials.
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if u.Opaque != "" {
		shown = u.Scheme + ":…"
	}
	bad := func(format string, args ...any) (Location, error) {
		return Location{}, fmt.Errorf("storage url %q: %w: %s", shown, ErrUnsupportedURL, fmt.Sprintf(format, args...))
	}
	if u.User != nil {
		return bad("credentials in the url are refused; set them in config or DXTRAIN_S3_ACCESS_KEY/DXTRAIN_S3_SECRET_KEY")
	}
	if u.Opaque != "" {
		return bad("want scheme://… with an absolute path")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return bad("query and fragment are not allowed")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return bad("file url host must be empty (file:///abs/path), got %q", u.Host)
		}
		if !strings.HasPrefix(u.Path, "/") {
			return bad("file url needs an absolute path (file:///abs/path)")
		}
		if strings.ContainsFunc(u.Path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return bad("file url path contains a control character")
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == ".." {
				return bad("file url path must not contain \"..\"")
			}
		}
		return Location{Scheme: "file", Path: path.Clean(u.Path)}, nil
	case "s3":
		if err := ValidateBucket(u.Host); err != nil {
			return bad("%v", err)
		}
		prefix := strings.Trim(u.Path, "/")
		if prefix != "" {
			if err := validateKey(prefix); err != nil {
				return bad("prefix %q: %v", prefix, err)
			}
		}
		return Location{Scheme: "s3", Bucket: u.Host, Prefix: prefix}, nil
	case "":
		return bad("missing scheme: want file:///abs/path or s3://bucket/prefix")
	default:
		return bad("scheme %q: want file or s3", u.Scheme)
	}
}

// ValidateBucket applies S3's bucket naming rules (3–63 characters of lower-case letters,
// digits, '.' and '-', starting and ending with a letter or digit).
func ValidateBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket %q: want 3 to 63 characters", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-'
		if !ok {
			return fmt.Errorf("bucket %q: byte %d: want lower-case letters, digits, '.' or '-'", b, i)
		}
	}
	if first, last := b[0], b[len(b)-1]; first == '.' || first == '-' || last == '.' || last == '-' {
		return fmt.Errorf("bucket %q: must start and end with a letter or digit", b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket %q: must not contain \"..\"", b)
	}
	return nil
}
