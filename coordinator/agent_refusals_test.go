package coordinator

import (
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

// TestAgentRefusalsReachTheAuditLog has an agent report the refusals of its ring
// and log listeners through a follower: they land in the audit log under the
// name on the agent's certificate, whatever server name the agent wrote, and an
// agent cannot report for a server's listeners or over a user's certificate.
func TestAgentRefusalsReachTheAuditLog(t *testing.T) {
	p := newTestPKI(t)
	servers := testCluster(t, 3, p.secure(t))
	alice := p.clientOpts(t, pki.RoleClient, "alice")
	tk := bootstrapACLWith(t, alice, servers...)
	ctx := t.Context()
	leader := WaitForLeader(t, servers...)
	var follower *Server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	agentSecret := tk.secrets[4]
	asAgent, err := client.New([]string{follower.HTTPAddr()}, agentSecret, p.clientOpts(t, pki.RoleAgent, "node-7")...)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixNano()
	forged := structs.SecurityEvent{Server: leader.cfg.NodeID, Listener: "ring", Source: "10.1.2.3",
		Reason: "certificate from another CA", Count: 3, First: now, Last: now}
	logs := structs.SecurityEvent{Server: "node-7", Listener: "logs", Source: "10.1.2.4",
		Reason: "plaintext (not TLS) client", Count: 1, First: now, Last: now}
	if err := asAgent.ReportRefusals(ctx, []structs.SecurityEvent{forged, logs}); err != nil {
		t.Fatalf("report through a follower: %v", err)
	}

	raft := forged
	raft.Listener = "raft"
	if err := asAgent.ReportRefusals(ctx, []structs.SecurityEvent{raft}); err == nil || !strings.Contains(err.Error(), "not an agent's listener") {
		t.Fatalf("an agent reporting for raft: %v", err)
	}
	asUser, err := client.New(addrs(servers...), agentSecret, alice...)
	if err != nil {
		t.Fatal(err)
	}
	if err := asUser.ReportRefusals(ctx, []structs.SecurityEvent{logs}); err == nil || !strings.Contains(err.Error(), "needs a agent or server certificate") {
		t.Fatalf("the agent token over a user's certificate: %v", err)
	}

	testutil.WaitFor(t, 10*time.Second, "the agent's refusals in the audit log", func() (bool, string) {
		entries, err := tk.admin.Audit(ctx, 0, 0)
		if err != nil {
			return false, err.Error()
		}
		var ring, plain bool
		var got []string
		for _, e := range entries {
			if e.Action != structs.ActionTLSRefused {
				continue
			}
			got = append(got, e.Actor+" "+e.Target+": "+e.Error)
			switch {
			case e.Target == leader.cfg.NodeID+"/ring", e.Target == leader.cfg.NodeID+"/raft":
				t.Fatalf("an agent wrote a refusal in the leader's name: %+v", e)
			case e.Target == "node-7/ring" && e.Actor == "peer 10.1.2.3" && e.Error == "certificate from another CA ×3":
				ring = true
			case e.Target == "node-7/logs" && e.Actor == "peer 10.1.2.4":
				plain = true
			}
		}
		return ring && plain, strings.Join(got, "\n")
	})
}
