package channel

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
)

const (
	socketName = "agent.sock"
	// maxSocketPath is the longest socket path used: sun_path holds 108 bytes on
	// Linux and 104 on the BSDs, the terminating NUL included.
	maxSocketPath    = 103
	socketDirPattern = ".dxtrain-sock-"
	// tempSuffixLen is the most characters os.MkdirTemp puts for the "*".
	tempSuffixLen = 10
)

// listen makes a private (0700) directory under dir, or under os.TempDir() when the
// path would be too long for sun_path, and listens on a 0600 socket in it. The
// directory is what keeps other users out; the socket's own mode is belt and braces.
func listen(dir string) (ln *net.UnixListener, sockDir string, err error) {
	parent := ""
	for _, candidate := range []string{dir, os.TempDir()} {
		if candidate == "" {
			continue
		}
		if len(filepath.Join(candidate, socketDirPattern, socketName))+tempSuffixLen <= maxSocketPath {
			parent = candidate
			break
		}
	}
	if parent == "" {
		return nil, "", fmt.Errorf("%w: neither %q nor %q leaves room for %s within %d bytes",
			ErrSocketPath, dir, os.TempDir(), socketName, maxSocketPath)
	}
	sockDir, err = os.MkdirTemp(parent, socketDirPattern)
	if err != nil {
		return nil, "", fmt.Errorf("socket dir: %w", err)
	}
	if err := os.Chmod(sockDir, 0o700); err != nil {
		os.RemoveAll(sockDir)
		return nil, "", fmt.Errorf("socket dir: %w", err)
	}
	path := filepath.Join(sockDir, socketName)
	ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(sockDir)
		return nil, "", fmt.Errorf("listen %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.RemoveAll(sockDir)
		return nil, "", fmt.Errorf("listen %s: %w", path, err)
	}
	return ln, sockDir, nil
}
