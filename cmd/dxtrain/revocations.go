package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/atomicfile"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
)

// revocationFetchTimeout bounds asking the registry for a revocation list: a trust's
// offline machine falls back to its cached copy at once.
const revocationFetchTimeout = 5 * time.Second

// publishRevocations signs the model's current revocation list (every revoked version
// the registry records) with the approver's key and puts it in the object store, where
// the registry serves it to trusts.
func publishRevocations(ctx context.Context, api *client.Client, store storage.Store, name string,
	priv ed25519.PrivateKey, approver string, valid time.Duration) (*release.RevocationList, error) {
	versions, err := api.ModelVersions(ctx, name)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	l := release.RevocationList{Model: name, Approver: approver, IssuedAt: now, ValidUntil: now.Add(valid)}
	for _, v := range versions {
		if v.Revoked {
			l.Revoked = append(l.Revoked, release.Revocation{Version: v.Version, Reason: v.RevokedReason,
				RevokedAt: time.Unix(0, v.RevokedAt).UTC().Truncate(time.Second)})
		}
	}
	list, sig, err := release.SignRevocations(l, priv)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(structs.SignedRevocations{List: string(list), Signature: string(sig)})
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, structs.RevocationsKey(name), bytes.NewReader(body), int64(len(body))); err != nil {
		return nil, fmt.Errorf("publish the revocation list of %s: %w", name, err)
	}
	return &l, nil
}

// checkRevocations refuses a verified release whose version its approver revoked. It
// asks the registry ($DXTRAIN_ADDR) for the signed list and caches it; when the
// registry cannot be reached it uses the cached copy, warning when that copy is past
// its validity or when there is none.
func checkRevocations(ctx context.Context, v *release.Verified, pub ed25519.PublicKey) error {
	name := v.Statement.ModelName
	version, err := strconv.Atoi(v.Statement.ModelVersion)
	if err != nil {
		return fmt.Errorf("%s: version %q is not a number", name, v.Statement.ModelVersion)
	}
	signed, fetchErr := fetchRevocations(ctx, name)
	switch {
	case errors.Is(fetchErr, structs.ErrNotFound):
		return nil // the approver never revoked a version of it
	case fetchErr == nil:
		if err := cacheRevocations(name, pub, signed); err != nil {
			fmt.Fprintf(os.Stderr, "warning: could not cache the revocation list of %s: %v\n", name, err)
		}
	default:
		if signed, err = cachedRevocations(name, pub); err != nil {
			fmt.Fprintf(os.Stderr, "warning: %s@%d: revocations not checked: the registry could not be asked (%v) and no list is cached\n", name, version, fetchErr)
			return nil
		}
	}
	l, err := release.VerifyRevocations([]byte(signed.List), []byte(signed.Signature), pub, name)
	if err != nil {
		return fmt.Errorf("%s@%d: the revocation list: %w", name, version, err)
	}
	if fetchErr != nil && l.Stale(time.Now()) {
		fmt.Fprintf(os.Stderr, "warning: %s@%d: the registry could not be asked and the cached revocation list (issued %s) expired %s: a revocation since then would not be seen\n",
			name, version, l.IssuedAt.Format(time.RFC3339), l.ValidUntil.Format(time.RFC3339))
	}
	return l.Check(version)
}

func fetchRevocations(ctx context.Context, name string) (*structs.SignedRevocations, error) {
	src, err := userTLS()
	if err != nil {
		return nil, err
	}
	api, err := client.New([]string{envOr("DXTRAIN_ADDR", "127.0.0.1:4646")}, os.Getenv("DXTRAIN_TOKEN"), apiOptions(src)...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, revocationFetchTimeout)
	defer cancel()
	return api.Revocations(ctx, name)
}

// revocationCache is where lists are kept between runs, by approver key and model.
func revocationCache(name string, pub ed25519.PublicKey) string {
	dir := os.Getenv("DXTRAIN_CACHE")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "dxtrain")
	}
	return filepath.Join(dir, "revocations", release.Fingerprint(pub), name+".json")
}

func cacheRevocations(name string, pub ed25519.PublicKey, s *structs.SignedRevocations) error {
	path := revocationCache(name, pub)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteJSON(path, s)
}

func cachedRevocations(name string, pub ed25519.PublicKey) (*structs.SignedRevocations, error) {
	data, err := os.ReadFile(revocationCache(name, pub))
	if err != nil {
		return nil, err
	}
	var s structs.SignedRevocations
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", revocationCache(name, pub), err)
	}
	return &s, nil
}
