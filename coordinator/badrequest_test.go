package coordinator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Bad requests get a 4xx with a JSON error naming what and where, and leave the Raft
// log exactly as it was.
func TestBadRequestsChangeNothing(t *testing.T) {
	r := startRunning(t, "ok", runningSetup{servers: 3})
	servers, tk, sub, att := r.servers, r.tk, r.sub, r.att
	leader := WaitForLeader(t, servers...)
	ctx := t.Context()
	researcher, agent, validator := tk.secrets[1], tk.secrets[4], tk.secrets[2]
	commit := func(mut func(a *structs.CheckpointCommitArgs)) string {
		a := structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: att.ID, Step: 1,
			ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1}
		mut(&a)
		b, _ := json.Marshal(a)
		return string(b)
	}
	tests := []struct {
		name, method, path, token, body string
		status                          int
		wantInError, wantField          string
	}{
		{"malformed json", "POST", "/v1/checkpoints", agent, `{"experiment_id":`, 400, "malformed JSON", "body"},
		{"unknown json field", "POST", "/v1/checkpoints", agent, `{"bogus":1}`, 400, "bogus", "body"},
		{"bad manifest hash", "POST", "/v1/checkpoints", agent, commit(func(a *structs.CheckpointCommitArgs) { a.ManifestHash = "xyz" }), 400, "SHA-256", "manifest_hash"},
		{"no blobs", "POST", "/v1/checkpoints", agent, commit(func(a *structs.CheckpointCommitArgs) { a.BlobHashes = nil }), 400, "empty", "blob_hashes"},
		{"unknown attempt", "POST", "/v1/checkpoints", agent, commit(func(a *structs.CheckpointCommitArgs) { a.AttemptID = "nope" }), 404, "nope", ""},
		{"attempt of another experiment", "POST", "/v1/checkpoints", agent, commit(func(a *structs.CheckpointCommitArgs) { a.ExperimentID = "other" }), 400, "belongs", "attempt_id"},
		{"wrong role", "POST", "/v1/checkpoints", validator, commit(func(*structs.CheckpointCommitArgs) {}), 403, "lacks role agent", ""},
		{"missing token", "POST", "/v1/experiments", "", "name: x\n", 401, "no token", ""},
		{"unknown experiment cancel", "POST", "/v1/experiments/nope/cancel", researcher, "", 404, "nope", ""},
		{"spec with unknown key", "POST", "/v1/experiments", researcher, "name: x\nworkerz:\n  min: 1\n", 400, "line 2", "workerz"},
		{"spec failing validation", "POST", "/v1/experiments", researcher, string(specYAML("x", 3, 1, 0)), 400, "line 18", "workers.max"},
		{"spec not yaml", "POST", "/v1/experiments", researcher, "name: [unclosed\n", 400, "line 1", "spec"},
		{"spec naming an unknown dataset", "POST", "/v1/experiments", researcher, strings.Replace(string(specYAML("x", 1, 1, 0)), "path: datasets/testdata/wdbc.csv\n  format: csv", "id: ghost-dataset", 1), 400, "ghost-dataset", "dataset.id"},
		{"empty spec", "POST", "/v1/experiments", researcher, "", 400, "empty", "spec"},
		{"drain unknown node", "POST", "/v1/nodes/ghost/drain", tk.secrets[0], `{"enable":true}`, 404, "ghost", ""},
		{"bad node id", "POST", "/v1/agent/register", agent, `{"id":"a b","address":"h:1"}`, 400, "character", "id"},
		{"bad attempt end status", "POST", "/v1/agent/attempt-end", agent, `{"attempt_id":"` + att.ID + `","status":"done"}`, 400, "done", "status"},
		{"progress for unknown attempt", "POST", "/v1/agent/progress", agent, `{"experiment_id":"` + sub.ID + `","attempt_id":"zz"}`, 404, "zz", ""},
		{"heartbeat unregistered node", "POST", "/v1/agent/heartbeat", agent, `{"node_id":"ghost"}`, 404, "register first", ""},
		{"bad role in token", "POST", "/v1/acl/tokens", tk.secrets[0], `{"name":"x","roles":["root"]}`, 400, "root", "roles[0]"},
		{"unknown route", "GET", "/v1/nothing", researcher, "", 404, "no route", ""},
		{"bad blocking index", "GET", "/v1/agent/assignments?node=node-001&index=x", agent, "", 400, "unsigned", "index"},
		{"stale not a boolean", "GET", "/v1/experiments?stale=maybe", researcher, "", 400, "not a boolean", "stale"},
		{"audit last not a number", "GET", "/v1/audit?last=all", tk.secrets[0], "", 400, "positive", "last"},
		{"audit last with after", "GET", "/v1/audit?last=5&after=3", tk.secrets[0], "", 400, "combined", "last"},
		{"experiments view unknown", "GET", "/v1/experiments?view=tiny", researcher, "", 400, "tiny", "view"},
		{"series_since not a number", "GET", "/v1/experiments/" + sub.ID + "?series_since=yesterday", researcher, "", 400, "unix nanoseconds", "series_since"},
		{"report split unknown", "GET", "/v1/checkpoints/x/report?split=train", researcher, "", 400, "train", "split"},
		{"report of unknown checkpoint", "GET", "/v1/checkpoints/ghost/report", researcher, "", 404, "ghost", ""},
		{"samples of unknown node", "GET", "/v1/nodes/ghost/samples", researcher, "", 404, "ghost", ""},
		{"heartbeat reading over 100%", "POST", "/v1/agent/heartbeat", agent, `{"node_id":"node-001","devices":[{"id":"cpu0","health":"healthy","reading":{"utilization_pct":140}}]}`, 400, "140", "devices[0].reading.utilization_pct"},
		{"heartbeat reading more memory used than there is", "POST", "/v1/agent/heartbeat", agent, `{"node_id":"node-001","devices":[{"id":"cpu0","health":"healthy","reading":{"memory_used_bytes":9,"memory_total_bytes":8}}]}`, 400, "exceeds", "devices[0].reading.memory_used_bytes"},
		{"heartbeat reading negative power", "POST", "/v1/agent/heartbeat", agent, `{"node_id":"node-001","devices":[{"id":"cpu0","health":"healthy","reading":{"power_watts":-3}}]}`, 400, "-3", "devices[0].reading.power_watts"},
		{"replay record with an unknown result", "POST", "/v1/checkpoints/x/flag", validator, `{"replay":{"result":"great"}}`, 400, "great", "replay.result"},
		{"replay record by a researcher", "POST", "/v1/checkpoints/x/flag", researcher, `{"replay":{"result":"identical"}}`, 403, "lacks role", ""},
		{"replay record by an agent", "POST", "/v1/checkpoints/x/flag", agent, `{"replay":{"result":"identical"}}`, 403, "role validator", ""},
		{"flag setting nothing", "POST", "/v1/checkpoints/x/flag", validator, `{}`, 400, "none of", "body"},
		{"resumed from another experiment's checkpoint", "POST", "/v1/agent/resumed", agent, `{"attempt_id":"` + att.ID + `","checkpoint_id":"nope"}`, 404, "nope", ""},
	}
	for _, tc := range tests {
		for _, target := range servers {
			t.Run(tc.name+"/"+target.ID(), func(t *testing.T) {
				before := leader.Raft().LastIndex()
				req, _ := http.NewRequestWithContext(ctx, tc.method, "http://"+target.HTTPAddr()+tc.path, bytes.NewBufferString(tc.body))
				if tc.token != "" {
					req.Header.Set(structs.HeaderToken, tc.token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var e structs.ErrorResponse
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
					t.Fatalf("error body is not JSON: %v", err)
				}
				if resp.StatusCode != tc.status || !strings.Contains(e.Error, tc.wantInError) || e.Field != tc.wantField {
					t.Fatalf("got %d %+v, want %d with %q in error and field %q", resp.StatusCode, e, tc.status, tc.wantInError, tc.wantField)
				}
				if after := leader.Raft().LastIndex(); after != before {
					t.Fatalf("bad request moved the raft log %d → %d", before, after)
				}
			})
		}
	}
}
