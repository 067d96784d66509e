package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
)

// RetryPolicy bounds the retries of one operation by attempts and by time. Delays grow
// exponentially from BaseDelay to MaxDelay with jitter, so many workers recovering from
// the same outage do not hammer the server in step.
type RetryPolicy struct {
	MaxAttempts int           // including the first; 1 disables retries
	BaseDelay   time.Duration // delay before the second attempt (before jitter)
	MaxDelay    time.Duration // cap on one delay
	MaxElapsed  time.Duration // no new attempt starts after this much time
}

// DefaultRetry rides out a server restart or a short network outage (about three
// minutes) before an upload fails.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, BaseDelay: 250 * time.Millisecond, MaxDelay: 20 * time.Second, MaxElapsed: 3 * time.Minute}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetry()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = d.MaxElapsed
	}
	return p
}

// delay is the wait after failed attempt n (1-based): "equal jitter", uniformly in
// [d/2, d] with d = min(MaxDelay, BaseDelay·2^(n-1)).
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.MaxDelay
	if n < 31 {
		if e := p.BaseDelay << (n - 1); e > 0 && e < d {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// do runs op until it succeeds, fails permanently, or the policy is spent. It returns the
// number of attempts made.
func (s *Store) do(ctx context.Context, what string, op func() error) (int, error) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return attempt, nil
		}
		if !transient(ctx, err) {
			return attempt, err
		}
		if attempt >= s.retry.MaxAttempts {
			return attempt, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := s.retry.delay(attempt)
		if elapsed := time.Since(start); elapsed+wait > s.retry.MaxElapsed {
			return attempt, fmt.Errorf("gave up after %d attempts in %s: %w", attempt, elapsed.Round(time.Millisecond), err)
		}
		s.log.Warn("s3 transient failure, retrying", "store", s.String(), "op", what,
			"attempt", attempt, "delay", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempt, fmt.Errorf("%w while waiting to retry after: %w", ctx.Err(), err)
		}
	}
}

// transientCodes are S3 error codes that mean "try again later".
var transientCodes = map[string]bool{
	"SlowDown": true, "SlowDownWrite": true, "SlowDownRead": true, "Throttling": true,
	"ThrottlingException": true, "RequestLimitExceeded": true, "RequestThrottled": true,
	"InternalError": true, "ServiceUnavailable": true, "RequestTimeout": true,
	"RequestTimeTooSkewed": false, "XMinioServerNotInitialized": true,
	"XMinioReadQuorum": true, "XMinioWriteQuorum": true,
	// A concurrent writer of the same key may abort our multipart upload (see Put).
	"NoSuchUpload": true,
}

// transient reports whether err is worth retrying: network failures, 5xx, 429/408 and
// throttling codes, but never the caller's own cancellation.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code != "" || resp.StatusCode != 0) {
		if retry, known := transientCodes[resp.Code]; known {
			return retry
		}
		return resp.StatusCode >= 500 || resp.StatusCode == 429 || resp.StatusCode == 408
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true // an internal request timeout; the caller's context is still live
	}
	var netErr net.Error
	var urlErr *url.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &opErr), errors.As(err, &urlErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	return false
}
