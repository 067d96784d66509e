package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// RuntimeVersion is the ONNX Runtime release whose library scripts/fetch-onnxruntime.sh
// installs and LibraryPath looks for.
const RuntimeVersion = "1.30.0"

// LibraryEnv names the environment variable that points at a libonnxruntime shared
// library, overriding the per-user cache.
const LibraryEnv = "DXTRAIN_ONNXRUNTIME_LIB"

// fetchHint is the command that installs the library where CachePath points.
const fetchHint = "run `bash scripts/fetch-onnxruntime.sh` (or `make onnxruntime`)"

// CachePath is where scripts/fetch-onnxruntime.sh installs the library:
// ${DXTRAIN_CACHE:-$HOME/.cache/dxtrain}/onnxruntime/1.30.0/libonnxruntime.so.1.
func CachePath() (string, error) {
	root := os.Getenv("DXTRAIN_CACHE")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("onnx runtime cache: no DXTRAIN_CACHE and no home directory: %w", err)
		}
		root = filepath.Join(home, ".cache", "dxtrain")
	}
	return filepath.Join(root, "onnxruntime", RuntimeVersion, "libonnxruntime.so.1"), nil
}

// LibraryPath finds the ONNX Runtime shared library: $DXTRAIN_ONNXRUNTIME_LIB when set
// (the file must exist), else CachePath. When the file is absent the error wraps
// ErrLibraryMissing and names the command that fetches it.
func LibraryPath() (string, error) {
	if p := os.Getenv(LibraryEnv); p != "" {
		if err := regularFile(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v; unset it to use the cache, or %s", ErrLibraryMissing, LibraryEnv, p, err, fetchHint)
		}
		return p, nil
	}
	p, err := CachePath()
	if err != nil {
		return "", fmt.Errorf("%w: %v; %s", ErrLibraryMissing, err, fetchHint)
	}
	if err := regularFile(p); err != nil {
		return "", fmt.Errorf("%w at %s: %s", ErrLibraryMissing, p, fetchHint)
	}
	return p, nil
}

func regularFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	return nil
}

// ortEnv holds the process-wide ONNX Runtime environment. onnxruntime_go keeps one
// global environment, so it is created once and never destroyed; a failure is
// remembered and returned to every later caller.
var ortEnv struct {
	once sync.Once
	err  error
}

// initRuntime loads the library and creates the environment on first use. It is safe
// for concurrent callers.
func initRuntime() error {
	ortEnv.once.Do(func() {
		if ort.IsInitialized() { // someone else in this process set it up
			return
		}
		path, err := LibraryPath()
		if err != nil {
			ortEnv.err = err
			return
		}
		ort.SetSharedLibraryPath(path)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			ortEnv.err = fmt.Errorf("initialise onnx runtime from %s: %w", path, err)
		}
	})
	return ortEnv.err
}
