package release

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateAndLoadKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	kf, err := GenerateKey(dir, "approver")
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	fi, err := os.Stat(kf.PrivatePath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("private key mode %04o, want 0600", perm)
	}
	priv, err := LoadPrivateKey(kf.PrivatePath)
	if err != nil {
		t.Fatalf("load private: %v", err)
	}
	pub, err := LoadPublicKey(kf.PublicPath)
	if err != nil {
		t.Fatalf("load public: %v", err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("public key file does not match the private key")
	}
	if kf.Fingerprint != Fingerprint(pub) || len(kf.Fingerprint) != 16 {
		t.Fatalf("fingerprint %q", kf.Fingerprint)
	}
	msg := []byte("statement")
	if !ed25519.Verify(pub, msg, Sign(msg, priv)) {
		t.Fatal("signature from the loaded key does not verify under the loaded public key")
	}
	pem, _ := os.ReadFile(kf.PublicPath)
	if !bytes.HasPrefix(pem, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Fatalf("public key file does not start with its PEM type:\n%s", pem)
	}

	t.Run("never overwrites", func(t *testing.T) {
		before, _ := os.ReadFile(kf.PrivatePath)
		if _, err := GenerateKey(dir, "approver"); !errors.Is(err, ErrExists) {
			t.Fatalf("got %v, want ErrExists", err)
		}
		after, _ := os.ReadFile(kf.PrivatePath)
		if !bytes.Equal(before, after) {
			t.Fatal("existing private key changed")
		}
	})
	t.Run("two keys differ", func(t *testing.T) {
		kf2, err := GenerateKey(dir, "approver2")
		if err != nil {
			t.Fatal(err)
		}
		if kf2.Fingerprint == kf.Fingerprint {
			t.Fatal("two generated keys have the same fingerprint")
		}
	})
}

func TestLoadPrivateKeyRefusesReadableFile(t *testing.T) {
	kf, err := GenerateKey(t.TempDir(), "approver")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		if err := os.Chmod(kf.PrivatePath, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPrivateKey(kf.PrivatePath)
		if !errors.Is(err, ErrKeyPermissions) {
			t.Fatalf("mode %04o: got %v, want ErrKeyPermissions", mode, err)
		}
		if !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("error %q does not say how to fix it", err)
		}
	}
	if err := os.Chmod(kf.PrivatePath, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrivateKey(kf.PrivatePath); err != nil {
		t.Fatalf("mode 0400 refused: %v", err)
	}
}

func TestLoadKeyRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	kf, err := GenerateKey(dir, "approver")
	if err != nil {
		t.Fatal(err)
	}
	privPEM, _ := os.ReadFile(kf.PrivatePath)
	pubPEM, _ := os.ReadFile(kf.PublicPath)
	cases := []struct {
		name    string
		data    []byte
		private bool
	}{
		{"empty", nil, false},
		{"not pem", []byte("hello"), false},
		{"private as public", privPEM, false},
		{"public as private", pubPEM, true},
		{"two blocks", append(bytes.Clone(pubPEM), pubPEM...), false},
		{"truncated der", bytes.Replace(pubPEM, []byte("MCow"), []byte("MCox"), 1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.private {
				_, err = LoadPrivateKey(p)
			} else {
				_, err = LoadPublicKey(p)
			}
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("got %v, want ErrInvalidKey", err)
			}
		})
	}
	if _, err := GenerateKey(dir, "../escape"); err == nil {
		t.Fatal("key name with a path separator accepted")
	}
}

func TestSignatureEncoding(t *testing.T) {
	_, priv := newKey(t)
	sig := Sign([]byte("x"), priv)
	enc := EncodeSignature(sig)
	if len(enc) != 89 || enc[88] != '\n' {
		t.Fatalf("statement.sig is %q, want 88 base64 characters and a newline", enc)
	}
	got, err := DecodeSignature(enc)
	if err != nil || !bytes.Equal(got, sig) {
		t.Fatalf("decode: %v", err)
	}
	for _, bad := range []string{"", "AAAA", strings.Repeat("A", 87) + "!", strings.Repeat("A", 86) + "=A"} {
		if _, err := DecodeSignature([]byte(bad)); !errors.Is(err, ErrSignature) {
			t.Fatalf("%q: got %v, want ErrSignature", bad, err)
		}
	}
}
