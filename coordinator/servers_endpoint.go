package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// peerStatusTimeout bounds the wait for one server's status: a dead server answers
// "unreachable" within it rather than holding the console's page.
const peerStatusTimeout = 2 * time.Second

// serversEndpoint is GET /v1/operator/servers: every server's term and applied index,
// each asked over the cluster's own TLS with the caller's token, so a console talking
// to one server sees them all.
func (s *Server) serversEndpoint(rc *reqCtx) (any, error) {
	peers, err := s.peers()
	if err != nil {
		return nil, err
	}
	out := make([]structs.ServerState, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		out[i].Peer = p
		if p.ID == s.cfg.NodeID {
			st, err := s.status()
			if err != nil {
				out[i].Error = err.Error()
				continue
			}
			out[i].Fill(st)
			continue
		}
		if p.HTTPAddr == "" {
			out[i].Error = "no HTTP address known"
			continue
		}
		wg.Add(1)
		go func(st *structs.ServerState) {
			defer wg.Done()
			resp, err := s.peerStatus(rc.r.Context(), st.HTTPAddr, presentedSecret(rc.r))
			if err != nil {
				st.Error = err.Error()
				return
			}
			st.Fill(resp)
		}(&out[i])
	}
	wg.Wait()
	return out, nil
}

func (s *Server) peerStatus(ctx context.Context, addr, secret string) (*structs.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, peerStatusTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.scheme()+"://"+addr+"/v1/status", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(structs.HeaderToken, secret)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status answered %s", resp.Status)
	}
	var st structs.StatusResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("status unreadable: %w", err)
	}
	return &st, nil
}
