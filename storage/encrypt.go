package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/minio/sio"
)

// PlaintextPolicy says what reading a plaintext object (one written before encryption
// at rest was turned on) does on an encrypted store.
type PlaintextPolicy string

// Plaintext policies.
const (
	// PlaintextWarn reads it and logs a warning naming the key (the default, so a
	// store can be switched to encryption without a migration first).
	PlaintextWarn PlaintextPolicy = "warn"
	// PlaintextRefuse fails the read with ErrPlaintext.
	PlaintextRefuse PlaintextPolicy = "refuse"
)

func (p PlaintextPolicy) validate() error {
	switch p {
	case "", PlaintextWarn, PlaintextRefuse:
		return nil
	}
	return fmt.Errorf("plaintext policy %q: want %q or %q", string(p), PlaintextWarn, PlaintextRefuse)
}

// Encryption configures an EncryptedStore.
type Encryption struct {
	// KEK wraps the data key of every object written. Zero means plaintext mode: objects
	// are written as they are, and reading an encrypted one fails with ErrNoKEK instead
	// of handing its ciphertext to a caller that would take it for corrupt data.
	KEK KEK
	// Previous is also accepted for reading (never for writing): set it to the old KEK
	// while RotateKEK runs, so every object stays readable whichever KEK it is under.
	Previous KEK
	// Plaintext is the policy for plaintext objects; "" means PlaintextWarn.
	Plaintext PlaintextPolicy
	// Logger receives the plaintext warnings; nil means slog.Default().
	Logger *slog.Logger
}

// EncryptedStore encrypts every object at rest (see encrypt_header.go for the format):
// each Put draws a random data key, wraps it under the KEK into the object's header and
// streams the body through DARE 2.0 (dare.go: minio/sio's format, on internal/gcm's
// AES-256-GCM). Keys and content addresses are unchanged: callers
// hash plaintext (BlobKey, manifests, provenance), so replay and lineage hashes are the
// same whether or not a store is encrypted. Stat and List report plaintext sizes.
//
// Get's reader returns only authenticated plaintext, one 64 KiB package at a time, and
// fails with ErrTampered at the first package that does not authenticate (or at a
// truncation); bytes already returned were authentic, but the object as a whole is
// only known good at io.EOF, so a caller must treat any read error as fatal and drop
// what it read. Every caller here does (GetBlob, VerifyBlob, checkpoint loads).
//
// It deliberately has no PresignGet: a presigned URL would hand out ciphertext.
type EncryptedStore struct {
	inner Store
	enc   Encryption
	log   *slog.Logger
}

var _ Store = (*EncryptedStore)(nil)

// NewEncryptedStore wraps inner.
func NewEncryptedStore(inner Store, e Encryption) (*EncryptedStore, error) {
	if err := e.Plaintext.validate(); err != nil {
		return nil, err
	}
	if e.Plaintext == "" {
		e.Plaintext = PlaintextWarn
	}
	if e.Previous.IsSet() && !e.KEK.IsSet() {
		return nil, errors.New("encrypted store: a previous key-encryption key needs a current one")
	}
	log := e.Logger
	if log == nil {
		log = slog.Default()
	}
	return &EncryptedStore{inner: inner, enc: e, log: log}, nil
}

// Inner is the backend holding the ciphertext (for tools and tests).
func (s *EncryptedStore) Inner() Store { return s.inner }

// Encrypting reports whether Puts encrypt (a KEK is configured).
func (s *EncryptedStore) Encrypting() bool { return s.enc.KEK.IsSet() }

// String names the backend and, when encrypting, the KEK's ID.
func (s *EncryptedStore) String() string {
	if !s.enc.KEK.IsSet() {
		return fmt.Sprint(s.inner)
	}
	return fmt.Sprintf("%v (encrypted at rest, kek %s)", s.inner, s.enc.KEK.ID())
}

// Put encrypts r into the object. With size ≥ 0, r must yield exactly size bytes.
func (s *EncryptedStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !s.enc.KEK.IsSet() {
		return s.inner.Put(ctx, key, r, size)
	}
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("encrypted store: put: %w", err)
	}
	// DARE writes nothing for an empty plaintext, so emptiness is a flag the header's
	// seal authenticates, and a stream with no package is a cut one.
	var first [1]byte
	n, err := io.ReadFull(r, first[:])
	if err != nil && err != io.EOF {
		return fmt.Errorf("encrypted store: put %q: read: %w", key, err)
	}
	empty := n == 0
	if size >= 0 && empty != (size == 0) {
		return fmt.Errorf("encrypted store: put %q: reader gave %d bytes or more, declared size is %d", key, n, size)
	}
	r = io.MultiReader(bytes.NewReader(first[:n]), r)

	dataKey := make([]byte, dataKeySize)
	if _, err := io.ReadFull(rand.Reader, dataKey); err != nil {
		return fmt.Errorf("encrypted store: put %q: data key: %w", key, err)
	}
	h, err := sealHeader(s.enc.KEK, key, dataKey, empty)
	if err != nil {
		return fmt.Errorf("encrypted store: put %q: wrap data key: %w", key, err)
	}
	body := io.Reader(bytes.NewReader(h.marshal()))
	encSize := int64(-1)
	if size >= 0 {
		n, err := sio.EncryptedSize(uint64(size))
		if err != nil {
			return fmt.Errorf("encrypted store: put %q: size %d: %w", key, size, err)
		}
		encSize = encHeaderSize + int64(n)
	}
	if !empty {
		var nonce [12]byte
		if _, err := io.ReadFull(rand.Reader, nonce[:]); err != nil {
			return fmt.Errorf("encrypted store: put %q: nonce: %w", key, err)
		}
		er, err := newDAREEncrypter(r, dataKey, nonce)
		if err != nil {
			return fmt.Errorf("encrypted store: put %q: %w", key, err)
		}
		ahead := newAheadReader(er, nil)
		defer ahead.Close() // r is not read once Put returns
		body = io.MultiReader(body, ahead)
	}
	return s.inner.Put(ctx, key, body, encSize)
}

// Get opens the object and decrypts it as it is read (see the type's comment on errors).
func (s *EncryptedStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.inner.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	out, err := s.open(key, rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return out, nil
}

// open reads the header from rc and returns the plaintext reader over the rest.
func (s *EncryptedStore) open(key string, rc io.ReadCloser) (io.ReadCloser, error) {
	buf := make([]byte, encHeaderSize)
	n, err := io.ReadFull(rc, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("encrypted store: get %q: read header: %w", key, err)
	}
	buf = buf[:n]
	if !hasEncMagic(buf) && !(n > 0 && n < len(encMagic) && encMagic[:n] == string(buf)) {
		return s.plaintext(key, buf, rc)
	}
	if !s.enc.KEK.IsSet() {
		id := "unknown"
		if h, err := parseEncHeader(buf); err == nil {
			id = h.kekIDString()
		}
		return nil, fmt.Errorf("encrypted store: get %q: %w (the object's kek is %s)", key, ErrNoKEK, id)
	}
	h, err := parseEncHeader(buf)
	if err != nil {
		return nil, fmt.Errorf("encrypted store: get %q: %w: %v", key, ErrTampered, err)
	}
	dataKey, err := s.unwrap(key, h)
	if err != nil {
		return nil, err
	}
	if h.empty() {
		if m, _ := io.ReadFull(rc, make([]byte, 1)); m != 0 {
			return nil, fmt.Errorf("encrypted store: get %q: %w: data after a header marked empty", key, ErrTampered)
		}
		return readCloser{Reader: bytes.NewReader(nil), Closer: rc}, nil
	}
	dr, err := newDAREDecrypter(rc, dataKey)
	if err != nil {
		return nil, fmt.Errorf("encrypted store: get %q: %w", key, err)
	}
	return newAheadReader(&decryptReader{r: dr, key: key}, rc.Close), nil
}

// unwrap finds the KEK the header names and unwraps the data key with it.
func (s *EncryptedStore) unwrap(key string, h encHeader) ([]byte, error) {
	for _, k := range []KEK{s.enc.KEK, s.enc.Previous} {
		if !k.IsSet() || k.id != h.kekID {
			continue
		}
		dk, err := openHeader(k, key, h)
		if err != nil {
			return nil, fmt.Errorf("encrypted store: get %q: %w: its data key does not unwrap under kek %s (header changed, or the object was copied from another key)",
				key, ErrTampered, k.ID())
		}
		return dk, nil
	}
	held := s.enc.KEK.ID()
	if s.enc.Previous.IsSet() {
		held += " (and previous " + s.enc.Previous.ID() + ")"
	}
	return nil, fmt.Errorf("encrypted store: get %q: %w: the object's kek is %s, this process holds %s", key, ErrWrongKEK, h.kekIDString(), held)
}

// plaintext applies the plaintext policy to an object without the header magic.
func (s *EncryptedStore) plaintext(key string, head []byte, rc io.ReadCloser) (io.ReadCloser, error) {
	if s.enc.KEK.IsSet() {
		if s.enc.Plaintext == PlaintextRefuse {
			return nil, fmt.Errorf("encrypted store: get %q: %w", key, ErrPlaintext)
		}
		s.log.Warn("object store: reading a plaintext object written before encryption at rest was turned on (DXTRAIN_STORE_PLAINTEXT=refuse refuses these)",
			"key", key)
	}
	return readCloser{Reader: io.MultiReader(bytes.NewReader(head), rc), Closer: rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// decryptReader names the object in DARE's authentication errors.
type decryptReader struct {
	r   io.Reader
	key string
	err error
}

func (d *decryptReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, errDARE) {
			err = fmt.Errorf("encrypted store: get %q: %w: %v", d.key, ErrTampered, err)
		} else {
			err = fmt.Errorf("encrypted store: get %q: %w", d.key, err)
		}
		d.err = err
	}
	return n, err
}

// Stat reports the plaintext size. On an encrypting store it reads the object's header
// (a GET of its first bytes) besides the backend's Stat.
func (s *EncryptedStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	info, err := s.inner.Stat(ctx, key)
	if err != nil || !s.enc.KEK.IsSet() {
		return info, err
	}
	return s.plainInfo(ctx, info)
}

// List reports plaintext sizes: on an encrypting store it reads every listed object's
// header, a few at a time, so it costs a GET per object.
func (s *EncryptedStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	infos, err := s.inner.List(ctx, prefix)
	if err != nil || !s.enc.KEK.IsSet() {
		return infos, err
	}
	out := make([]ObjectInfo, len(infos))
	errs := make([]error, len(infos))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, info := range infos {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errs[i] = s.plainInfo(ctx, info)
		})
	}
	wg.Wait()
	kept := out[:0]
	for i := range out {
		switch {
		case errors.Is(errs[i], ErrNotFound): // deleted since the listing
		case errs[i] != nil:
			return nil, fmt.Errorf("encrypted store: list %q: %w", prefix, errs[i])
		default:
			kept = append(kept, out[i])
		}
	}
	return kept, nil
}

// plainInfo replaces the backend's size with the plaintext size.
func (s *EncryptedStore) plainInfo(ctx context.Context, info ObjectInfo) (ObjectInfo, error) {
	rc, err := s.inner.Get(ctx, info.Key)
	if err != nil {
		return info, err
	}
	defer rc.Close()
	buf := make([]byte, encHeaderSize)
	n, err := io.ReadFull(rc, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return info, fmt.Errorf("encrypted store: stat %q: read header: %w", info.Key, err)
	}
	if !hasEncMagic(buf[:n]) {
		return info, nil // plaintext: its size is its size
	}
	h, err := parseEncHeader(buf[:n])
	if err != nil {
		return info, fmt.Errorf("encrypted store: stat %q: %w: %v", info.Key, ErrTampered, err)
	}
	if h.empty() {
		info.Size = 0
		return info, nil
	}
	plain, err := sio.DecryptedSize(uint64(info.Size - encHeaderSize))
	if err != nil || info.Size == encHeaderSize {
		return info, fmt.Errorf("encrypted store: stat %q: %w: %d bytes is not a valid encrypted size", info.Key, ErrTampered, info.Size)
	}
	info.Size = int64(plain)
	return info, nil
}

// Delete removes the object.
func (s *EncryptedStore) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, key)
}

// SweepTemp passes the backend's temporary-file sweep through (FileStore's), so the
// coordinator's GC still finds it; 0 when the backend has none.
func (s *EncryptedStore) SweepTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	if ts, ok := s.inner.(interface {
		SweepTemp(context.Context, time.Duration) (int, error)
	}); ok {
		return ts.SweepTemp(ctx, olderThan)
	}
	return 0, nil
}

// SweepIncomplete passes the backend's sweep of abandoned multipart uploads through
// (the S3 store's); 0 when the backend has none.
func (s *EncryptedStore) SweepIncomplete(ctx context.Context, olderThan time.Duration, prefixes ...string) (int, error) {
	if ms, ok := s.inner.(interface {
		SweepIncomplete(context.Context, time.Duration, ...string) (int, error)
	}); ok {
		return ms.SweepIncomplete(ctx, olderThan, prefixes...)
	}
	return 0, nil
}
