package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dxtrain/dxtrain/storage"
)

// Put uploads the object, multipart above the part size, with per-part checksums. A
// transient failure restarts the upload from the beginning of the data (a seekable
// reader is rewound; any other reader is first copied to a spool file), so the caller
// sees an error only when the retry policy is spent or the failure is permanent. S3
// makes a completed upload visible atomically; a failed multipart upload is aborted.
//
// Aborting uses RemoveIncompleteUpload, which aborts every incomplete upload of this
// key; a concurrent writer of the same key that loses its upload that way gets
// NoSuchUpload, which is retried, so both writers still finish with a whole version.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := storage.ValidateKey(key); err != nil {
		return fmt.Errorf("s3 store %s: put: %w", s, err)
	}
	if err := ctx.Err(); err != nil {
		return s.wrap("put", key, err)
	}
	body, length, cleanup, err := s.replayable(ctx, r, size)
	if err != nil {
		return s.wrap("put", key, err)
	}
	defer cleanup()
	obj := s.ObjectName(key)
	opts := minio.PutObjectOptions{
		PartSize:    s.partSize,
		Checksum:    s.checksum,
		ContentType: "application/octet-stream",
		// Over plain HTTP minio-go would also sign a SHA-256 of every part, which the
		// server recomputes: the per-part checksum above already lets the server reject
		// a damaged part, and callers verify what they wrote by reading it back.
		DisableContentSha256: true,
	}
	multipart := uint64(length) > s.partSize // minio-go sends smaller objects in one PUT
	failed := 0
	attempts, err := s.do(ctx, "put "+key, func() error {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind upload source: %w", err)
		}
		_, err := s.client.PutObject(ctx, s.bucket, obj, body, length, opts)
		if err != nil {
			failed++
			if multipart {
				s.abortIncomplete(ctx, obj)
			}
		}
		return err
	})
	if err != nil {
		return s.wrap("put", key, err)
	}
	if failed > 0 && multipart {
		// Aborts attempted while the server was unreachable may have failed; the
		// server is back now, so clear what they left.
		s.abortIncomplete(ctx, obj)
		s.log.Info("s3 put succeeded after retries", "store", s.String(), "key", key, "attempts", attempts)
	}
	return nil
}

// abortIncomplete aborts unfinished multipart uploads of obj, best effort: it runs even
// when ctx is canceled, and a failure leaves parts that a bucket lifecycle rule (or the
// next successful Put of the key) removes; they are never visible as an object.
func (s *Store) abortIncomplete(ctx context.Context, obj string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.client.RemoveIncompleteUpload(actx, s.bucket, obj); err != nil {
		s.log.Warn("s3 abort of incomplete upload failed", "store", s.String(), "object", obj, "error", err)
	}
}

// replayable returns a source that can be read again from its start for each attempt,
// its exact length, and a cleanup function. A declared size that disagrees with the
// data is an error, so a short or long reader never produces an object.
func (s *Store) replayable(ctx context.Context, r io.Reader, size int64) (io.ReadSeeker, int64, func(), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("seek upload source: %w", err)
		}
		end, err := rs.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("seek upload source: %w", err)
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, 0, nil, fmt.Errorf("seek upload source: %w", err)
		}
		n := end - start
		if size >= 0 && n != size {
			return nil, 0, nil, fmt.Errorf("reader holds %d bytes, declared size is %d", n, size)
		}
		if ra, ok := r.(io.ReaderAt); ok {
			return io.NewSectionReader(ra, start, n), n, func() {}, nil
		}
		return &offsetSeeker{rs: rs, base: start}, n, func() {}, nil
	}
	return s.spool(ctx, r, size)
}

// spool copies a non-seekable reader to an unlinked temporary file.
func (s *Store) spool(ctx context.Context, r io.Reader, size int64) (io.ReadSeeker, int64, func(), error) {
	f, err := os.CreateTemp(s.spoolDir, "dxtrain-s3-spool-*")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("create spool file: %w", err)
	}
	os.Remove(f.Name()) // unlinked: the space is freed on close, even after a crash
	cleanup := func() { f.Close() }
	src := io.Reader(ctxReader{ctx: ctx, r: r})
	if size >= 0 {
		src = io.LimitReader(src, size+1)
	}
	n, err := io.Copy(f, src)
	switch {
	case err != nil:
		err = fmt.Errorf("spool upload source after %d bytes: %w", n, err)
	case size >= 0 && n != size:
		err = fmt.Errorf("reader gave %d bytes, declared size is %d", n, size)
	}
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return io.NewSectionReader(f, 0, n), n, cleanup, nil
}

// offsetSeeker makes a ReadSeeker positioned at base look like it starts at 0.
type offsetSeeker struct {
	rs   io.ReadSeeker
	base int64
}

func (o *offsetSeeker) Read(p []byte) (int, error) { return o.rs.Read(p) }

func (o *offsetSeeker) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekStart {
		off += o.base
	}
	n, err := o.rs.Seek(off, whence)
	if err == nil && n < o.base {
		return 0, errors.New("seek before the start of the upload source")
	}
	return n - o.base, err
}

// ctxReader stops a long spool copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
