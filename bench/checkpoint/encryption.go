package main

import (
	"context"
	"os"

	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// encRates is checkpoint throughput (MB/s, medians) on a store encrypted at rest and on
// the same kind of store in plaintext, with the medians of the per-repetition ratios
// encrypted/plain; the two are measured alternately (plain, encrypted, plain, …) so that
// drift on a shared machine falls on both alike.
type encRates struct {
	plainWrite, plainRead float64
	encWrite, encRead     float64
	writeRatio, readRatio float64
	bytes                 int64
}

// encryptedTwin is a store of the same kind as ns with its own, empty space (a new
// directory or bucket, so no upload is skipped as a duplicate of a plaintext one),
// encrypted under a fresh KEK and opened through storage.Open as the binaries do.
func encryptedTwin(ctx context.Context, ns namedStore, m *minioServer) (namedStore, func(), error) {
	kek, err := storage.GenerateKEK()
	if err != nil {
		return namedStore{}, nil, err
	}
	if ns.name == "minio" {
		cfg := m.Config()
		cfg.KEK = kek
		st, err := storage.Open(ctx, "s3://bench-enc", cfg)
		return namedStore{name: "minio+enc", store: st}, func() {}, err
	}
	dir, err := os.MkdirTemp("", "bench-checkpoint-enc-")
	if err != nil {
		return namedStore{}, nil, err
	}
	st, err := storage.Open(ctx, "file://"+dir, storage.Config{KEK: kek})
	return namedStore{name: ns.name + "+enc", store: st}, func() { os.RemoveAll(dir) }, err
}

// encryptionThroughput saves and loads the checkpoint reps times on each of plain and
// enc, alternating, with a different first parameter each time so nothing is skipped.
func encryptionThroughput(ctx context.Context, plain, enc namedStore, st *checkpoint.State, reps int) (encRates, error) {
	var r encRates
	var pw, pr, ew, er, wr, rr []float64
	for rep := range reps {
		p, err := throughputFrom(ctx, plain, st, 1, 1000+2*rep)
		if err != nil {
			return r, err
		}
		e, err := throughputFrom(ctx, enc, st, 1, 1001+2*rep)
		if err != nil {
			return r, err
		}
		pw, pr, ew, er = append(pw, p.ckptWrite), append(pr, p.ckptRead), append(ew, e.ckptWrite), append(er, e.ckptRead)
		wr, rr = append(wr, e.ckptWrite/p.ckptWrite), append(rr, e.ckptRead/p.ckptRead)
		r.bytes = p.bytes
	}
	r.plainWrite, r.plainRead, r.encWrite, r.encRead = medianOf(pw), medianOf(pr), medianOf(ew), medianOf(er)
	r.writeRatio, r.readRatio = medianOf(wr), medianOf(rr)
	return r, nil
}
