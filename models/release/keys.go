package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Key files are standard PEM, so other tools read them (openssl pkey -in NAME.key):
// the private key is PKCS #8 ("PRIVATE KEY"), the public key PKIX ("PUBLIC KEY"),
// each holding an ed25519 key and nothing else.
const (
	PrivateKeyExt  = ".key"
	PublicKeyExt   = ".pub"
	pemPrivateType = "PRIVATE KEY"
	pemPublicType  = "PUBLIC KEY"
	maxKeyFileSize = 16 << 10
)

// KeyFiles is what GenerateKey wrote.
type KeyFiles struct {
	PrivatePath string // NAME.key, mode 0600: stays with the approver
	PublicPath  string // NAME.pub: given to trusts
	Fingerprint string
}

// GenerateKey writes a new ed25519 key pair as dir/name.key (mode 0600) and
// dir/name.pub. It never overwrites a key: an existing file is ErrExists.
func GenerateKey(dir, name string) (KeyFiles, error) {
	if err := checkName("key name", name); err != nil {
		return KeyFiles{}, fmt.Errorf("generate key: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyFiles{}, fmt.Errorf("generate key %s: %w", name, err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return KeyFiles{}, fmt.Errorf("generate key %s: encode private key: %w", name, err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return KeyFiles{}, fmt.Errorf("generate key %s: encode public key: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KeyFiles{}, fmt.Errorf("generate key %s: %w", name, err)
	}
	kf := KeyFiles{
		PrivatePath: filepath.Join(dir, name+PrivateKeyExt),
		PublicPath:  filepath.Join(dir, name+PublicKeyExt),
		Fingerprint: Fingerprint(pub),
	}
	if err := writeNew(kf.PrivatePath, pem.EncodeToMemory(&pem.Block{Type: pemPrivateType, Bytes: privDER}), 0o600); err != nil {
		return KeyFiles{}, fmt.Errorf("generate key %s: %w", name, err)
	}
	if err := writeNew(kf.PublicPath, pem.EncodeToMemory(&pem.Block{Type: pemPublicType, Bytes: pubDER}), 0o644); err != nil {
		os.Remove(kf.PrivatePath) // a private key without its public half is useless
		return KeyFiles{}, fmt.Errorf("generate key %s: %w", name, err)
	}
	return kf, nil
}

// writeNew creates path with mode perm (refusing an existing file), writes data and
// syncs. The mode is set again after creation so a permissive umask cannot widen it.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w; remove it or choose another name", path, ErrExists)
	}
	if err != nil {
		return err
	}
	err = errors.Join(f.Chmod(perm), writeAll(f, data), f.Sync(), f.Close())
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeAll(w io.Writer, data []byte) error {
	_, err := w.Write(data)
	return err
}

// LoadPrivateKey reads an approver's private key. It refuses a file that group or
// others may read (ErrKeyPermissions): a signing key that leaked is not a signature.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("private key %s: %w: not a regular file", path, ErrInvalidKey)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("private key %s: %w (mode %04o); only its owner may read it: chmod 600 %s", path, ErrKeyPermissions, perm, path)
	}
	block, err := readPEM(f, path, pemPrivateType)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w: %w", path, ErrInvalidKey, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key %s: %w: a %T, want ed25519", path, ErrInvalidKey, k)
	}
	return priv, nil
}

// LoadPublicKey reads an approver's public key, as trusts hold it.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	defer f.Close()
	block, err := readPEM(f, path, pemPublicType)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return ParsePublicKey(block.Bytes)
}

// ParsePublicKey decodes a PKIX (DER) ed25519 public key.
func ParsePublicKey(der []byte) (ed25519.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: a %T, want ed25519", ErrInvalidKey, k)
	}
	return pub, nil
}

// readPEM reads one PEM block of the wanted type and nothing else.
func readPEM(r io.Reader, path, want string) (*pem.Block, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKeyFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidKey, maxKeyFileSize)
	}
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return nil, fmt.Errorf("%w: no PEM block", ErrInvalidKey)
	case block.Type != want:
		hint := ""
		if block.Type == pemPrivateType {
			hint = " (this is a private key: give trusts the .pub file)"
		}
		return nil, fmt.Errorf("%w: PEM type %q, want %q%s", ErrInvalidKey, block.Type, want, hint)
	case len(block.Headers) > 0:
		return nil, fmt.Errorf("%w: PEM headers present (encrypted keys are not supported)", ErrInvalidKey)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("%w: data after the PEM block", ErrInvalidKey)
	}
	return block, nil
}

// Fingerprint names a public key to people: the first 16 hex characters of the
// SHA-256 of its 32 raw bytes. Compare it with the one the approver announced.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])[:16]
}

// checkFingerprint accepts 16 lower-case hex characters.
func checkFingerprint(what, s string) error {
	if len(s) != 16 {
		return fmt.Errorf("%s: want a 16-character key fingerprint, got %d characters", what, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%s: character %d is not lower-case hex", what, i)
		}
	}
	return nil
}
