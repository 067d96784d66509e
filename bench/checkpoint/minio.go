package main

import (
	"context"
	"os"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/storage/s3"
	"github.com/dxtrain/dxtrain/storage/s3/miniotest"
)

// minioServer is a MinIO process on loopback, started by the miniotest harness, with a
// temporary directory removed when it stops.
type minioServer struct {
	*miniotest.Server
	dir string
}

// startMinIO runs a MinIO server and returns a store on a fresh bucket, or an error
// saying why there is none (the caller skips MinIO).
func startMinIO(ctx context.Context) (*minioServer, storage.Store, error) {
	dir, err := os.MkdirTemp("", "bench-checkpoint-minio-")
	if err != nil {
		return nil, nil, err
	}
	srv, err := miniotest.Launch(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	m := &minioServer{Server: srv, dir: dir}
	st, err := s3.New(ctx, s3.Config{Config: srv.Config(), Bucket: "bench"})
	if err != nil {
		m.stop()
		return nil, nil, err
	}
	return m, st, nil
}

func (m *minioServer) stop() {
	m.Stop()
	os.RemoveAll(m.dir)
}
