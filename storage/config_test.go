package storage_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

const (
	testAccess = "AKIAEXAMPLEACCESS42"
	testSecret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
)

func TestConfigNeverPrintsCredentials(t *testing.T) {
	cfg := storage.Config{Endpoint: "127.0.0.1:9000", Region: "eu-west-2", AccessKey: testAccess, SecretKey: testSecret, Insecure: true}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("open storage", "config", cfg)
	var loggedJSON bytes.Buffer
	slog.New(slog.NewJSONHandler(&loggedJSON, nil)).Info("open storage", "config", cfg)
	renderings := map[string]string{
		"String": cfg.String(),
		"%v":     fmt.Sprintf("%v", cfg),
		"%+v":    fmt.Sprintf("%+v", cfg),
		"%#v":    fmt.Sprintf("%#v", cfg),
		"%s":     fmt.Sprintf("%s", cfg),
		"&%+v":   fmt.Sprintf("%+v", &cfg),
		"slog":   logged.String(),
		"json":   loggedJSON.String(),
	}
	for name, out := range renderings {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, testSecret) || strings.Contains(out, testAccess) {
				t.Fatalf("%s rendering leaks a credential: %s", name, out)
			}
			if !strings.Contains(out, "127.0.0.1:9000") || !strings.Contains(out, "redacted") {
				t.Fatalf("%s rendering should show the endpoint and that credentials are redacted: %s", name, out)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    storage.Config
		wantErr bool
	}{
		{"dxtrain names", map[string]string{
			"DXTRAIN_S3_ENDPOINT": "minio:9000", "DXTRAIN_S3_ACCESS_KEY": "a", "DXTRAIN_S3_SECRET_KEY": "s",
			"DXTRAIN_S3_REGION": "r", "DXTRAIN_S3_INSECURE": "1",
		}, storage.Config{Endpoint: "minio:9000", AccessKey: "a", SecretKey: "s", Region: "r", Insecure: true}, false},
		{"aws fallbacks", map[string]string{"AWS_ACCESS_KEY_ID": "aa", "AWS_SECRET_ACCESS_KEY": "ss"},
			storage.Config{AccessKey: "aa", SecretKey: "ss"}, false},
		{"dxtrain wins over aws", map[string]string{"AWS_ACCESS_KEY_ID": "aa", "DXTRAIN_S3_ACCESS_KEY": "d"},
			storage.Config{AccessKey: "d"}, false},
		{"bad boolean", map[string]string{"DXTRAIN_S3_INSECURE": "maybe"}, storage.Config{}, true},
	}
	all := []string{"DXTRAIN_S3_ENDPOINT", "DXTRAIN_S3_ACCESS_KEY", "DXTRAIN_S3_SECRET_KEY", "DXTRAIN_S3_REGION",
		"DXTRAIN_S3_INSECURE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range all {
				t.Setenv(k, tc.env[k])
			}
			got, err := storage.ConfigFromEnv()
			if (err != nil) != tc.wantErr {
				t.Fatalf("ConfigFromEnv error = %v, want error %t", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Fatalf("ConfigFromEnv = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     storage.Config
		wantErr string
	}{
		{"zero is valid", storage.Config{}, ""},
		{"http endpoint", storage.Config{Endpoint: "http://127.0.0.1:9000"}, ""},
		{"endpoint with path", storage.Config{Endpoint: "host:9000/x"}, "endpoint"},
		{"small part", storage.Config{PartSize: 1 << 20}, "part size"},
		{"half credentials", storage.Config{AccessKey: "a"}, "credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
	n := storage.Config{Endpoint: "http://h:1/"}.Normalized()
	if n.Endpoint != "h:1" || !n.Insecure || n.PartSize != storage.DefaultPartSize {
		t.Fatalf("Normalized = %v", n)
	}
}
