package coordinator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/storage"
)

// Presigner is an object store that can hand out a time-limited URL for reading one
// object (S3). The model registry redirects downloads to such a URL instead of
// streaming the bytes through the coordinator.
type Presigner interface {
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// presignTTL is how long a presigned download URL stays valid.
const presignTTL = 15 * time.Minute

// streamChunk is the unit the download is streamed in; the last chunk is held back
// until the hash is checked.
const streamChunk = 64 << 10

// checkFirstBytes is the largest file checked whole before its answer starts: its
// corruption is then a clear error, not a transfer cut short. Larger files stream.
const checkFirstBytes = 64 << 20

// modelFileEndpoint serves one file of a released version by its recorded hash. The
// expected SHA-256 goes out in X-Dxtrain-SHA256 so the client can check what it got;
// the server checks too while streaming and cuts the response short on a mismatch,
// so corrupted bytes never arrive as a complete, successful download.
func (s *Server) modelFileEndpoint(rc *reqCtx) (any, error) {
	name, file := rc.r.PathValue("name"), rc.r.PathValue("file")
	v, err := versionParam(rc)
	if err != nil {
		return nil, err
	}
	m, err := s.State().ModelVersion(name, v)
	if err != nil {
		return nil, err
	}
	sha, ok := m.FileSHA256(file)
	if !ok {
		return nil, structs.Invalid("file", fmt.Sprintf("%q is not one of %v", file, structs.ModelFiles))
	}
	if m.Revoked {
		return nil, fmt.Errorf("model %s version %d was revoked: %s: %w", name, v, m.RevokedReason, structs.ErrGone)
	}
	if s.cfg.Store == nil {
		return nil, fmt.Errorf("download %s of %s@%d: %w", file, name, v, ErrNoObjectStore)
	}
	key := storage.BlobKey(sha)
	h := rc.w.Header()
	h.Set(structs.HeaderSHA256, sha)
	h.Set(structs.HeaderIndex, strconv.FormatUint(m.ModifyIndex, 10))
	h.Set(structs.HeaderLeader, strconv.FormatBool(s.IsLeader()))
	ctx := rc.r.Context()
	if p, ok := s.cfg.Store.(Presigner); ok {
		u, err := p.PresignGet(ctx, key, presignTTL)
		if err != nil {
			return nil, fmt.Errorf("presign %s of %s@%d: %w", file, name, v, err)
		}
		http.Redirect(rc.w, rc.r, u, http.StatusTemporaryRedirect)
		return nil, errHandled
	}
	info, err := s.cfg.Store.Stat(ctx, key)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("blob %s (%s of %s@%d) is missing from the object store: %w", sha, file, name, v, structs.ErrNotFound)
		}
		return nil, fmt.Errorf("stat %s of %s@%d: %w", file, name, v, err)
	}
	body, err := s.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open %s of %s@%d: %w", file, name, v, err)
	}
	defer body.Close()
	if info.Size <= checkFirstBytes {
		return s.serveChecked(rc, body, sha, fmt.Sprintf("%s of %s@%d", file, name, v))
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	rc.w.WriteHeader(http.StatusOK)
	// Send the header now: if the content then fails its hash, the client sees a
	// short body rather than a dropped connection it would retry.
	_ = http.NewResponseController(rc.w).Flush()
	if err := copyVerified(rc.w, body, sha, info.Size); err != nil {
		// The header is out; the only honest signal left is an incomplete body.
		s.log.Error("model file download aborted", "model", name, "version", v, "file", file, "error", err)
		panic(http.ErrAbortHandler)
	}
	return nil, errHandled
}

// serveChecked reads a small model file whole and checks its hash before answering:
// a stored copy that no longer hashes right is an error that says so (with
// HeaderStoredCorrupt), and nothing of it is sent.
func (s *Server) serveChecked(rc *reqCtx, body io.Reader, sha, what string) (any, error) {
	data, err := io.ReadAll(io.LimitReader(body, checkFirstBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if got := storage.Digest(data); got != sha {
		s.log.Error("model file corrupt in the object store", "file", what, "blob", sha, "hashes_to", got)
		rc.w.Header().Set(structs.HeaderStoredCorrupt, sha)
		return nil, fmt.Errorf("the registry's stored copy of %s (blob %s) is corrupt: it hashes to %s (%d bytes); an administrator must restore it: %w",
			what, sha, got, len(data), storage.ErrCorrupt)
	}
	h := rc.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	rc.w.WriteHeader(http.StatusOK)
	_, _ = rc.w.Write(data)
	return nil, errHandled
}

// copyVerified streams src to w, hashing as it goes, and holds back the final chunk
// until the whole content has hashed to want and has the expected size. On a mismatch
// (or a read error) it returns an error having written less than size bytes.
func copyVerified(w io.Writer, src io.Reader, want string, size int64) error {
	hash := sha256.New()
	held := make([]byte, 0, streamChunk)
	buf := make([]byte, streamChunk)
	var n int64
	for {
		k, err := io.ReadFull(src, buf)
		if k > 0 {
			hash.Write(buf[:k])
			n += int64(k)
			if len(held) > 0 {
				if _, werr := w.Write(held); werr != nil {
					return fmt.Errorf("write: %w", werr)
				}
			}
			held = append(held[:0], buf[:k]...)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read blob %s: %w", want, err)
		}
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != want || n != size {
		return fmt.Errorf("blob %s: %w: content hashes to %s (%d bytes, %d expected)", want, storage.ErrCorrupt, got, n, size)
	}
	if _, err := w.Write(held); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
