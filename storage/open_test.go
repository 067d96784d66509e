package storage_test

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		raw     string
		want    storage.Location
		wantErr string
	}{
		{"file:///data/store", storage.Location{Scheme: "file", Path: "/data/store"}, ""},
		{"file://localhost/data/./x/", storage.Location{Scheme: "file", Path: "/data/x"}, ""},
		{"s3://my-bucket", storage.Location{Scheme: "s3", Bucket: "my-bucket"}, ""},
		{"s3://my-bucket/runs/exp1/", storage.Location{Scheme: "s3", Bucket: "my-bucket", Prefix: "runs/exp1"}, ""},
		{"file://host/data", storage.Location{}, "host must be empty"},
		{"file:relative", storage.Location{}, "absolute path"},
		{"file:///a/../etc", storage.Location{}, ".."},
		{"s3://UPPER/x", storage.Location{}, "bucket"},
		{"s3://ab/x", storage.Location{}, "3 to 63"},
		{"s3://bucket/a//b", storage.Location{}, "empty segment"},
		{"s3://bucket/x?versionId=1", storage.Location{}, "query"},
		{"gs://bucket/x", storage.Location{}, "scheme"},
		{"/just/a/path", storage.Location{}, "missing scheme"},
		{"s3://AKIA:topsecret@bucket/x", storage.Location{}, "credentials in the url"},
		{"s3://bucket:notaport/x", storage.Location{}, "url"},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := storage.ParseURL(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, storage.ErrUnsupportedURL) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want ErrUnsupportedURL containing %q", tc.raw, got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "topsecret") {
					t.Fatalf("ParseURL error leaks the url password: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseURL(%q) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
			}
		})
	}
}

func TestOpenUnregisteredScheme(t *testing.T) {
	// This test binary does not link storage/s3, so s3:// must say what to import.
	_, err := storage.Open(t.Context(), "s3://bucket/x", storage.Config{})
	if !errors.Is(err, storage.ErrUnsupportedURL) || !strings.Contains(err.Error(), "storage/s3") {
		t.Fatalf("Open(s3://) without the backend: %v", err)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{"file:///data/store", "s3://bucket/prefix/x", "s3://a:secretpw@bucket/x",
		"file://localhost/a/b", "s3://bucket", "s3://b..x/y", "file:///a/../b", "%zz", "s3://bucket/a/.dxtmp-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := storage.ParseURL(raw)
		if err != nil {
			if u, perr := url.Parse(raw); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
					t.Fatalf("error leaks the url password %q: %v", pw, err)
				}
			}
			return
		}
		again, err := storage.ParseURL(loc.String())
		if err != nil || again != loc {
			t.Fatalf("ParseURL(%q) = %+v, but its String %q reparses to %+v, %v", raw, loc, loc.String(), again, err)
		}
		if loc.Scheme == "file" && (!filepath.IsAbs(loc.Path) || filepath.Clean(loc.Path) != loc.Path) {
			t.Fatalf("ParseURL(%q) gave unsafe path %q", raw, loc.Path)
		}
	})
}

func FuzzValidateKey(f *testing.F) {
	for _, seed := range []string{"a", "blobs/sha256/ab/ab12", "../x", "a//b", "/abs", "a/", "a\\b", "ключ", "a/.dxtmp-9", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if storage.ValidateKey(key) != nil {
			if !errors.Is(storage.ValidateKey(key), storage.ErrInvalidKey) {
				t.Fatalf("ValidateKey(%q) error does not wrap ErrInvalidKey", key)
			}
			return
		}
		// A valid key must stay under any root it is joined to.
		root := "/store/root"
		p := filepath.Join(root, filepath.FromSlash(key))
		if rel, err := filepath.Rel(root, p); err != nil || rel != filepath.FromSlash(key) || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Fatalf("valid key %q maps to %q outside or different under the root", key, p)
		}
		if storage.ValidatePrefix(key) != nil {
			t.Fatalf("valid key %q is not a valid prefix", key)
		}
	})
}

func TestValidateKeyAndDigest(t *testing.T) {
	sha := storage.Digest([]byte("x"))
	if got := storage.BlobKey(sha); got != "blobs/sha256/"+sha[:2]+"/"+sha || storage.ValidateKey(got) != nil {
		t.Fatalf("BlobKey = %q", got)
	}
	for _, bad := range []string{"", "abc", strings.ToUpper(sha)} {
		if storage.BlobKey(bad) != "" || !errors.Is(storage.ValidateDigest(bad), storage.ErrInvalidKey) {
			t.Errorf("digest %q accepted", bad)
		}
	}
}
