package storage_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/storage"
)

func TestParseKEK(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 32)
	want, err := storage.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"hex":             hex.EncodeToString(raw),
		"hex with space":  "  " + hex.EncodeToString(raw) + "\n",
		"base64":          base64.StdEncoding.EncodeToString(raw),
		"base64 unpadded": base64.RawStdEncoding.EncodeToString(raw),
	} {
		got, err := storage.ParseKEK(text)
		if err != nil || got.ID() != want.ID() {
			t.Fatalf("%s: ParseKEK = %v, %v; want id %s", name, got, err, want.ID())
		}
	}
	for name, text := range map[string]string{
		"short hex":  hex.EncodeToString(raw[:16]),
		"long hex":   hex.EncodeToString(append(raw, 1)),
		"not a key":  "correct horse battery staple",
		"empty":      "",
		"bad base64": strings.Repeat("!", 44),
	} {
		if _, err := storage.ParseKEK(text); err == nil {
			t.Fatalf("%s: ParseKEK accepted %q", name, text)
		} else if text != "" && strings.Contains(err.Error(), text) {
			t.Fatalf("%s: the error echoes the key text: %v", name, err)
		}
	}
	other, _ := storage.NewKEK(bytes.Repeat([]byte{0xac}, 32))
	if other.ID() == want.ID() || len(want.ID()) != 16 {
		t.Fatalf("ids %s and %s: want 16 hex characters, distinct per key", want.ID(), other.ID())
	}
}

func TestKEKFile(t *testing.T) {
	dir := t.TempDir()
	k := newKEK(t)
	p := filepath.Join(dir, "store.kek")
	if err := storage.WriteKEKFile(p, k); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("KEK file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	got, err := storage.LoadKEKFile(p)
	if err != nil || got.ID() != k.ID() {
		t.Fatalf("LoadKEKFile = %v, %v; want id %s", got, err, k.ID())
	}
	if err := storage.WriteKEKFile(p, newKEK(t)); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("WriteKEKFile over an existing file: %v", err)
	}
	if again, _ := storage.LoadKEKFile(p); again.ID() != k.ID() {
		t.Fatal("the existing KEK file was overwritten")
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		_, err := storage.LoadKEKFile(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
			t.Fatalf("LoadKEKFile of a mode %04o file: %v; want a refusal naming path and mode", mode, err)
		}
	}
	if _, err := storage.LoadKEKFile(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("LoadKEKFile of a missing file succeeded")
	}
	if _, err := storage.LoadKEKFile(dir); err == nil {
		t.Fatal("LoadKEKFile of a directory succeeded")
	}
	bad := filepath.Join(dir, "bad.kek")
	if err := os.WriteFile(bad, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.LoadKEKFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("LoadKEKFile of a malformed file: %v", err)
	}
}

func TestKEKNeverPrinted(t *testing.T) {
	k := newKEK(t)
	text := kekText(t, k)
	raw, _ := hex.DecodeString(text)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("kek", "kek", k)
	js, _ := json.Marshal(struct{ K storage.KEK }{k})
	outs := []string{logged.String(), string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, []storage.KEK{k}))
	}
	for _, out := range outs {
		if strings.Contains(strings.ToLower(out), text) || strings.Contains(out, base64.StdEncoding.EncodeToString(raw)) ||
			strings.Contains(out, fmt.Sprint(raw)) || strings.Contains(out, fmt.Sprint(raw[:8])) {
			t.Fatalf("a KEK rendering leaks the key: %s", out)
		}
		if !strings.Contains(out, k.ID()) {
			t.Fatalf("a KEK rendering should show its id %s: %s", k.ID(), out)
		}
	}
}
