package onnx

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fetchCommand = "bash scripts/fetch-onnxruntime.sh"

func TestLibraryPath(t *testing.T) {
	tmp := t.TempDir()
	lib := filepath.Join(tmp, "libonnxruntime.so.1")
	if err := os.WriteFile(lib, []byte("not really a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	cached := t.TempDir()
	cachedLib := filepath.Join(cached, "onnxruntime", RuntimeVersion, "libonnxruntime.so.1")
	if err := os.MkdirAll(filepath.Dir(cachedLib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cachedLib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	emptyCache := t.TempDir()
	cases := []struct {
		name, env, cache, home string
		want                   string   // path returned, when no error
		errHas                 []string // error must wrap ErrLibraryMissing and say these
	}{
		{name: "env points at a file", env: lib, cache: emptyCache, want: lib},
		{name: "env points at nothing", env: filepath.Join(tmp, "absent.so"), cache: cached, errHas: []string{LibraryEnv, "absent.so", fetchCommand}},
		{name: "env points at a directory", env: tmp, cache: cached, errHas: []string{"not a regular file", fetchCommand}},
		{name: "cache has the library", cache: cached, want: cachedLib},
		{name: "cache is empty", cache: emptyCache, errHas: []string{filepath.Join(emptyCache, "onnxruntime", "1.30.0", "libonnxruntime.so.1"), fetchCommand, "make onnxruntime"}},
		{name: "default cache under home", home: home, errHas: []string{filepath.Join(home, ".cache", "dxtrain", "onnxruntime", "1.30.0", "libonnxruntime.so.1"), fetchCommand}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(LibraryEnv, c.env)
			t.Setenv("DXTRAIN_CACHE", c.cache)
			if c.home != "" {
				t.Setenv("HOME", c.home)
			}
			got, err := LibraryPath()
			if c.errHas == nil {
				if err != nil || got != c.want {
					t.Fatalf("LibraryPath() = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if !errors.Is(err, ErrLibraryMissing) {
				t.Fatalf("LibraryPath() = %q, %v; want ErrLibraryMissing", got, err)
			}
			for _, s := range c.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestLoadWithoutLibrary runs Load in a fresh test process (the environment is set up
// once per process) whose cache holds no library: Load must fail naming the script.
func TestLoadWithoutLibrary(t *testing.T) {
	if os.Getenv("DXTRAIN_ONNX_TEST_CHILD") == "no-library" {
		net, params, pre := fixtures()[0].build(t, 1)
		_, err := Load(mustExport(t, net, params, pre, nil))
		if !errors.Is(err, ErrLibraryMissing) || !strings.Contains(err.Error(), fetchCommand) {
			t.Fatalf("load without library: err = %v, want ErrLibraryMissing naming %q", err, fetchCommand)
		}
		t.Logf("child saw: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLoadWithoutLibrary$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "DXTRAIN_ONNX_TEST_CHILD=no-library", "DXTRAIN_CACHE="+t.TempDir(), LibraryEnv+"=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "child saw:") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}
