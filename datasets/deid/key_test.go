package deid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is 40 bytes of key material that the tests look for in outputs.
const testKey = "k3y-MATERIAL-that-must-never-leak-0123456"

func writeKey(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hmac.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadKey(t *testing.T) {
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr bool
		errHas  string
	}{
		{"good", func(t *testing.T) string { return writeKey(t, testKey, 0o600) }, false, ""},
		{"owner read only", func(t *testing.T) string { return writeKey(t, testKey, 0o400) }, false, ""},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, true, "no such file"},
		{"empty", func(t *testing.T) string { return writeKey(t, "", 0o600) }, true, "empty"},
		{"short", func(t *testing.T) string { return writeKey(t, testKey[:31], 0o600) }, true, "at least 32"},
		{"group readable", func(t *testing.T) string { return writeKey(t, testKey, 0o640) }, true, "chmod 600"},
		{"world readable", func(t *testing.T) string { return writeKey(t, testKey, 0o604) }, true, "chmod 600"},
		{"directory", func(t *testing.T) string { d := t.TempDir(); os.Chmod(d, 0o700); return d }, true, "regular file"},
		{"no path", func(t *testing.T) string { return "" }, true, "no pseudonymisation key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LoadKey(tt.path(t))
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.Is(err, ErrKeyFile) && !errors.Is(err, ErrNoKey) {
					t.Errorf("error %v wraps neither ErrKeyFile nor ErrNoKey", err)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("error %q does not say %q", err, tt.errHas)
				}
				if strings.Contains(err.Error(), testKey[:16]) {
					t.Errorf("error holds key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p == nil {
				t.Fatal("nil pseudonymiser")
			}
		})
	}
}

func TestPseudonymiserNeverShowsKey(t *testing.T) {
	p, err := NewPseudonymiser([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("loaded key", "pseudonymiser", p, "value", *p)
	js, err := json.Marshal(struct{ P *Pseudonymiser }{p})
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s", p, *p, p, *p), fmt.Sprintf("%#v", *p),
		logBuf.String(), string(js),
	}
	for _, o := range outs {
		if strings.Contains(o, testKey[:16]) || !strings.Contains(o, "redacted") {
			t.Errorf("output does not redact the key: %s", o)
		}
	}
}

func TestPseudonymise(t *testing.T) {
	p, err := NewPseudonymiser([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewPseudonymiser([]byte(strings.ToUpper(testKey)))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Pseudonymise("943 476 5919")
	if len(a) != PseudonymHexLen {
		t.Fatalf("pseudonym length %d, want %d", len(a), PseudonymHexLen)
	}
	if b := p.Pseudonymise(" 943-476-5919 "); b != a {
		t.Error("formatting changes the pseudonym of a number")
	}
	if b := p.Pseudonymise("9434765919"); b != a {
		t.Error("spaces change the pseudonym of a number")
	}
	if b := p.Pseudonymise("4010232137"); b == a {
		t.Error("two identifiers share a pseudonym")
	}
	if b := other.Pseudonymise("9434765919"); b == a {
		t.Error("two keys give the same pseudonym")
	}
	if p.Pseudonymise("  ") != "" {
		t.Error("empty identifier got a pseudonym")
	}
	if _, err := NewPseudonymiser([]byte("short")); !errors.Is(err, ErrKeyFile) {
		t.Errorf("short key: %v", err)
	}
}
