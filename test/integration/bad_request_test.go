package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Bad requests against real servers, the leader and a follower that forwards to it,
// get a 4xx with a JSON error that says what is wrong, and change nothing: the Raft
// last index and the experiment list stay as they were.
func TestBadRequestsChangeNothing(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 3, clusterOptions{})
	leader := c.leader(10 * time.Second)
	follower := c.follower(leader)
	good, err := os.ReadFile(wdbcSpec(t, 5, 20))
	if err != nil {
		t.Fatal(err)
	}
	invalid := bytes.Replace(good, []byte("epochs: 5"), []byte("epochs: 0"), 1)
	cases := []struct {
		name, method, path, token, contentType string
		body                                   []byte
		status                                 int
		mention                                string // a phrase the error must contain
	}{
		{"malformed JSON", "POST", "/v1/checkpoints", c.agentToken, "application/json", []byte(`{"experiment_id": `), 400, "malformed JSON"},
		{"unknown JSON field", "POST", "/v1/checkpoints", c.agentToken, "application/json", []byte(`{"experiment": "x"}`), 400, "unknown field"},
		{"no token", "POST", "/v1/experiments", "", "application/yaml", good, 401, "token"},
		{"unknown token", "POST", "/v1/experiments", "not-a-token", "application/yaml", good, 401, "token"},
		{"agent submits an experiment", "POST", "/v1/experiments", c.agentToken, "application/yaml", good, 403, "role"},
		{"agent creates a token", "POST", "/v1/acl/tokens", c.agentToken, "application/json", []byte(`{"name":"x","roles":["admin"]}`), 403, "role"},
		{"unknown experiment", "GET", "/v1/experiments/no-such-experiment", c.adminToken, "", nil, 404, "no-such-experiment"},
		{"cancel unknown experiment", "POST", "/v1/experiments/no-such-experiment/cancel", c.adminToken, "application/json", nil, 404, "no-such-experiment"},
		{"spec fails validation", "POST", "/v1/experiments", c.adminToken, "application/yaml", invalid, 400, "training.epochs"},
		{"spec is not YAML", "POST", "/v1/experiments", c.adminToken, "application/yaml", []byte("name: [unclosed"), 400, ""},
	}
	before := c.lastIndex(leader)
	user := &http.Client{Transport: &http.Transport{TLSClientConfig: c.pki.config(c.pki.user)}}
	for _, srv := range []*server{leader, follower} {
		for _, tc := range cases {
			t.Run(srv.id+"/"+tc.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), tc.method, "https://"+srv.httpAddr+tc.path, bytes.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.token != "" {
					req.Header.Set(structs.HeaderToken, tc.token)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				resp, err := user.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				var e structs.ErrorResponse
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Fatalf("%d answer is not a JSON error (%v): %q", resp.StatusCode, err, body)
				}
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want %d; error %q", resp.StatusCode, tc.status, e.Error)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
				if !strings.Contains(e.Error+" "+e.Field, tc.mention) {
					t.Errorf("error %q (field %q) does not mention %q", e.Error, e.Field, tc.mention)
				}
				if strings.Contains(e.Error, c.adminToken) || strings.Contains(e.Error, c.agentToken) {
					t.Errorf("error %q repeats a token secret", e.Error)
				}
			})
		}
	}
	if after := c.lastIndex(leader); after != before {
		t.Errorf("Raft last index moved from %d to %d after bad requests only", before, after)
	}
	if exps, err := c.admin.Experiments(t.Context(), ""); err != nil || len(exps) != 0 {
		t.Errorf("experiments after bad requests only: %d, %v", len(exps), err)
	}
	// The index does move for a good write, so the check above can fail.
	if _, err := c.admin.SubmitExperiment(t.Context(), good, ""); err != nil {
		t.Fatalf("a good submit: %v", err)
	}
	if after := c.lastIndex(leader); after == before {
		t.Errorf("Raft last index stayed %d after a good submit", after)
	}
}

// lastIndex is s's Raft last log index.
func (c *cluster) lastIndex(s *server) uint64 {
	c.t.Helper()
	st, err := s.client(c.adminToken).Status(c.t.Context())
	if err != nil {
		c.t.Fatalf("status of %s: %v", s.id, err)
	}
	return st.LastIndex
}
