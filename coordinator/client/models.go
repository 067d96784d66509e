package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// ErrDownloadCorrupt means a downloaded model file did not hash to the SHA-256 the
// registry recorded for it (or was cut short by the server for that reason).
var ErrDownloadCorrupt = errors.New("model file download does not match its recorded SHA-256")

func modelPath(name string, version int) string {
	return "/v1/models/" + url.PathEscape(name) + "/versions/" + strconv.Itoa(version)
}

// ReleaseModel commits a new immutable version of a model whose four files are already
// uploaded as blobs (validator). The leader assigns the version number. If the
// release committed but reading it back failed, the returned version carries the name
// and number, with the error.
func (c *Client) ReleaseModel(ctx context.Context, args structs.ModelReleaseArgs) (*structs.ModelVersion, error) {
	var out structs.ModelReleaseResponse
	if err := c.send(ctx, http.MethodPost, "/v1/models", args, &out); err != nil {
		return nil, err
	}
	m, err := c.ModelVersion(ctx, out.Name, out.Version)
	if err != nil {
		return &structs.ModelVersion{Name: out.Name, Version: out.Version, CreateIndex: out.Index},
			fmt.Errorf("released %s@%d, but reading it back failed: %w", out.Name, out.Version, err)
	}
	return m, nil
}

// RevokeModel marks a version revoked with a reason (validator). Its metadata stays
// readable; its files are no longer served.
func (c *Client) RevokeModel(ctx context.Context, name string, version int, reason string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, modelPath(name, version)+"/revoke", structs.ModelRevokeArgs{Reason: reason}, &out)
	return out.Index, err
}

// Models lists model names with their latest version.
func (c *Client) Models(ctx context.Context) ([]structs.ModelSummary, error) {
	var out []structs.ModelSummary
	_, err := c.get(ctx, "/v1/models", nil, &out)
	return out, err
}

// ModelVersions lists the versions of a model, oldest first.
func (c *Client) ModelVersions(ctx context.Context, name string) ([]structs.ModelVersion, error) {
	var out []structs.ModelVersion
	_, err := c.get(ctx, "/v1/models/"+url.PathEscape(name)+"/versions", nil, &out)
	return out, err
}

// ModelVersion returns one version (revoked versions too, marked as such).
func (c *Client) ModelVersion(ctx context.Context, name string, version int) (*structs.ModelVersion, error) {
	var out structs.ModelVersion
	if _, err := c.get(ctx, modelPath(name, version), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revocations fetches a model's signed revocation list (structs.ErrNotFound when its
// approver never signed one). Verify it with the approver's key before trusting it.
func (c *Client) Revocations(ctx context.Context, name string) (*structs.SignedRevocations, error) {
	var out structs.SignedRevocations
	if _, err := c.get(ctx, "/v1/models/"+url.PathEscape(name)+"/revocations", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DownloadModelFile opens one file of a version (file is one of structs.ModelFiles)
// and returns its body with the SHA-256 the registry recorded. The body checks that
// hash itself: its final Read returns an error wrapping ErrDownloadCorrupt instead of
// io.EOF when the bytes differ, so callers that read to EOF never accept wrong bytes.
// A revoked version gives an error wrapping structs.ErrGone. When the server redirects
// to a presigned URL the token is not sent there.
func (c *Client) DownloadModelFile(ctx context.Context, name string, version int, file string) (io.ReadCloser, string, error) {
	path := modelPath(name, version) + "/files/" + url.PathEscape(file)
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	deadline := time.Now().Add(c.retryFor)
	start := c.first()
	var lastErr error
	for attempt := 0; ; attempt++ {
		base := c.addrs[(start+attempt)%len(c.addrs)]
		body, sha, err, retry := c.openOnce(ctx, &noRedirect, base, path)
		if err == nil {
			return body, sha, nil
		}
		lastErr = err
		if !retry || time.Now().After(deadline) || ctx.Err() != nil {
			return nil, "", lastErr
		}
		if (attempt+1)%len(c.addrs) == 0 {
			select {
			case <-ctx.Done():
				return nil, "", fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// openOnce makes one download request (and follows one redirect without the token).
func (c *Client) openOnce(ctx context.Context, hc *http.Client, base, path string) (io.ReadCloser, string, error, bool) {
	u := base + path
	if c.stale {
		u += "?stale=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", path, err), false
	}
	if c.token != "" {
		req.Header.Set(structs.HeaderToken, c.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s via %s: %w", path, base, err), ctx.Err() == nil
	}
	sha := resp.Header.Get(structs.HeaderSHA256)
	if resp.StatusCode == http.StatusTemporaryRedirect {
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if loc == "" {
			return nil, "", fmt.Errorf("GET %s via %s: redirect without a Location", path, base), false
		}
		rreq, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return nil, "", fmt.Errorf("GET %s: presigned URL: %w", path, err), false
		}
		if resp, err = hc.Do(rreq); err != nil {
			return nil, "", fmt.Errorf("GET %s: presigned URL: %w", path, err), false
		}
		if resp.StatusCode != http.StatusOK {
			data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil, "", fmt.Errorf("GET %s: presigned URL answered %d: %s", path, resp.StatusCode, strings.TrimSpace(string(data))), false
		}
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		apiErr := &APIError{StatusCode: resp.StatusCode, Method: http.MethodGet, Path: path}
		var e structs.ErrorResponse
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			apiErr.Message, apiErr.Field = e.Error, e.Field
		} else {
			apiErr.Message = strings.TrimSpace(string(data))
		}
		if resp.Header.Get(structs.HeaderStoredCorrupt) != "" { // the store's copy, not the transfer
			return nil, "", fmt.Errorf("%s: %w: %s", path, ErrDownloadCorrupt, apiErr.Message), false
		}
		return nil, "", apiErr, resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusBadGateway
	}
	if len(sha) != sha256.Size*2 {
		resp.Body.Close()
		return nil, "", fmt.Errorf("GET %s via %s: answer lacks a valid %s header", path, base, structs.HeaderSHA256), false
	}
	return &verifyingBody{rc: resp.Body, want: sha, hash: sha256.New(), what: path}, sha, nil, false
}

// verifyingBody hashes what is read and turns EOF into an error on a mismatch.
type verifyingBody struct {
	rc   io.ReadCloser
	want string
	hash hash.Hash
	what string
}

func (v *verifyingBody) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.hash.Write(p[:n])
	switch {
	case errors.Is(err, io.EOF):
		if got := hex.EncodeToString(v.hash.Sum(nil)); got != v.want {
			return n, fmt.Errorf("%s: %w: got %s, want %s", v.what, ErrDownloadCorrupt, got, v.want)
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		// A server that finds corruption mid-stream cuts the body short.
		return n, fmt.Errorf("%s: %w: transfer cut short: %v", v.what, ErrDownloadCorrupt, err)
	case err != nil:
		return n, fmt.Errorf("%s: %w", v.what, err)
	}
	return n, err
}

func (v *verifyingBody) Close() error { return v.rc.Close() }

// SubmitReport sends a trust's signed site report on name@version (trust). The registry
// refuses one whose signature or model hash does not match the version.
func (c *Client) SubmitReport(ctx context.Context, name string, version int, report, signature []byte) (*structs.ModelReportResponse, error) {
	var out structs.ModelReportResponse
	err := c.send(ctx, http.MethodPost, modelPath(name, version)+"/reports",
		structs.ModelReportArgs{Report: string(report), Signature: string(signature)}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Reports lists the site reports kept beside name@version, in submission order.
func (c *Client) Reports(ctx context.Context, name string, version int) ([]structs.SiteReport, error) {
	var out []structs.SiteReport
	_, err := c.get(ctx, modelPath(name, version)+"/reports", nil, &out)
	return out, err
}
