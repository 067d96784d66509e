package integration

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the dxtrain binary TestMain builds once for every test.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "dxtrain-integration-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: temp dir for the binary: %v\n", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "dxtrain")
	build := exec.Command("go", "build", "-o", binPath, "github.com/dxtrain/dxtrain/cmd/dxtrain")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: go build ./cmd/dxtrain: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needProcesses skips the calling test under -short: it starts real processes and
// takes tens of seconds.
func needProcesses(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test with real server and agent processes on loopback; skipped under -short")
	}
}
