package coordinator

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// checkOrigin refuses a state-changing request a browser sent from another site. The
// API takes its token from a header, which a browser never adds to a cross-site form
// or image, so a forged request arrives without credentials anyway; this refuses it
// before authentication too, and so covers a token an extension or proxy might add.
// Requests without Origin or Sec-Fetch-Site (the CLI, agents, servers) pass.
func checkOrigin(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return fmt.Errorf("%s request from another site (Sec-Fetch-Site: %s) refused: %w", r.Method, site, structs.ErrPermissionDenied)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host != r.Host {
		return fmt.Errorf("%s request from origin %q refused: only this server's own pages may write: %w", r.Method, origin, structs.ErrPermissionDenied)
	}
	return nil
}
