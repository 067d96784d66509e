package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// minioServer is a MinIO process on loopback with a temporary data directory, as the
// miniotest harness starts it for tests.
type minioServer struct {
	cmd *exec.Cmd
	dir string
}

// startMinIO runs the minio binary miniotest.Binary finds and returns a store on a
// fresh bucket, or an error saying why there is none (the caller skips MinIO).
func startMinIO(ctx context.Context) (*minioServer, storage.Store, error) {
	bin, err := miniotest.Binary()
	if err != nil {
		return nil, nil, fmt.Errorf("%v (install with `%s`)", err, miniotest.InstallCommand)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "bench-checkpoint-minio-")
	if err != nil {
		return nil, nil, err
	}
	user, secret := "bench-"+randomHex(6), randomHex(20)
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", console, dir)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+secret,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=on")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("run %s: %w", bin, err)
	}
	m := &minioServer{cmd: cmd, dir: dir}
	if err := waitHealthy(ctx, addr, 60*time.Second); err != nil {
		m.stop()
		return nil, nil, err
	}
	st, err := s3.New(ctx, s3.Config{Config: storage.Config{Endpoint: addr, AccessKey: user, SecretKey: secret,
		Insecure: true, CreateBucket: true}, Bucket: "bench"})
	if err != nil {
		m.stop()
		return nil, nil, err
	}
	return m, st, nil
}

func (m *minioServer) stop() {
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	os.RemoveAll(m.dir)
}

func waitHealthy(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for _, path := range []string{"/minio/health/live", "/minio/health/cluster"} {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("minio on %s: %s not healthy after %v", addr, path, timeout)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
