package storage_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

const (
	testAccess = "AKIAEXAMPLEACCESS42"
	testSecret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
)

// testKEKHex is a key-encryption key for the secret-hiding tests.
const testKEKHex = "5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2"

func TestConfigNeverPrintsCredentials(t *testing.T) {
	kek, err := storage.ParseKEK(testKEKHex)
	if err != nil {
		t.Fatal(err)
	}
	prev := newKEK(t)
	prevHex := kekText(t, prev)
	cfg := storage.Config{Endpoint: "127.0.0.1:9000", Region: "eu-west-2", AccessKey: testAccess, SecretKey: testSecret, Insecure: true,
		KEK: kek, PreviousKEK: prev}
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
			if strings.Contains(out, testKEKHex) || strings.Contains(out, prevHex) || strings.Contains(out, "94 194 231 192") {
				t.Fatalf("%s rendering leaks a key-encryption key: %s", name, out)
			}
			if !strings.Contains(out, kek.ID()) {
				t.Fatalf("%s rendering should show the KEK's id %s: %s", name, kek.ID(), out)
			}
			if !strings.Contains(out, "127.0.0.1:9000") || !strings.Contains(out, "redacted") {
				t.Fatalf("%s rendering should show the endpoint and that credentials are redacted: %s", name, out)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	testKEK, err := storage.ParseKEK(testKEKHex)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kekFile, openFile := filepath.Join(dir, "store.kek"), filepath.Join(dir, "open.kek")
	if err := storage.WriteKEKFile(kekFile, testKEK); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(openFile, []byte(testKEKHex), 0o644); err != nil {
		t.Fatal(err)
	}
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
		{"kek value", map[string]string{"DXTRAIN_STORE_KEK": testKEKHex, "DXTRAIN_STORE_PLAINTEXT": "refuse"},
			storage.Config{KEK: testKEK, Plaintext: storage.PlaintextRefuse}, false},
		{"kek file", map[string]string{"DXTRAIN_STORE_KEK_FILE": kekFile, "DXTRAIN_STORE_KEK_PREVIOUS_FILE": kekFile},
			storage.Config{KEK: testKEK, PreviousKEK: testKEK}, false},
		{"kek value and file", map[string]string{"DXTRAIN_STORE_KEK": testKEKHex, "DXTRAIN_STORE_KEK_FILE": kekFile}, storage.Config{}, true},
		{"bad kek", map[string]string{"DXTRAIN_STORE_KEK": "0123"}, storage.Config{}, true},
		{"readable kek file", map[string]string{"DXTRAIN_STORE_KEK_FILE": openFile}, storage.Config{}, true},
		{"bad plaintext policy", map[string]string{"DXTRAIN_STORE_PLAINTEXT": "ignore"}, storage.Config{}, true},
	}
	all := []string{"DXTRAIN_S3_ENDPOINT", "DXTRAIN_S3_ACCESS_KEY", "DXTRAIN_S3_SECRET_KEY", "DXTRAIN_S3_REGION",
		"DXTRAIN_S3_INSECURE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"DXTRAIN_STORE_KEK", "DXTRAIN_STORE_KEK_FILE", "DXTRAIN_STORE_KEK_PREVIOUS_FILE", "DXTRAIN_STORE_PLAINTEXT"}
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
		{"bad plaintext policy", storage.Config{Plaintext: "ignore"}, "plaintext policy"},
		{"previous kek alone", storage.Config{PreviousKEK: newKEK(t)}, "previous key-encryption key"},
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
