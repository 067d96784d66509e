package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dxtrain/dxtrain/storage"
)

// openLocalStore opens the directory dir as an object store through storage.Open, so
// the encryption at rest settings of the environment (DXTRAIN_STORE_KEK_FILE, …) apply
// to it as they do to every other store.
func openLocalStore(ctx context.Context, dir string, cfg storage.Config) (storage.Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", dir, err)
	}
	return storage.Open(ctx, "file://"+filepath.ToSlash(abs), cfg)
}

// devStore is dxtrain dev's object store, <dataDir>/store, encrypted at rest by default:
// with no KEK in the environment it uses <dataDir>/store.kek, creating a random one
// (mode 0600) on first use. It returns the KEK file used ("" when the KEK came from the
// environment), for the other commands' DXTRAIN_STORE_KEK_FILE.
func devStore(ctx context.Context, dataDir string) (storage.Store, string, error) {
	cfg, err := storage.ConfigFromEnv()
	if err != nil {
		return nil, "", err
	}
	kekFile := ""
	if !cfg.KEK.IsSet() {
		kekFile = filepath.Join(dataDir, "store.kek")
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, "", err
		}
		if _, err := os.Stat(kekFile); errors.Is(err, fs.ErrNotExist) {
			k, err := storage.GenerateKEK()
			if err != nil {
				return nil, "", err
			}
			if err := storage.WriteKEKFile(kekFile, k); err != nil {
				return nil, "", err
			}
		}
		if cfg.KEK, err = storage.LoadKEKFile(kekFile); err != nil {
			return nil, "", err
		}
	}
	st, err := openLocalStore(ctx, filepath.Join(dataDir, "store"), cfg)
	return st, kekFile, err
}
