package integration

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/internal/testutil"
)

// TestAgentRefusalsAudited connects a plaintext client and a user of another CA
// to a real agent's log server: the agent refuses both and its refusals reach
// the cluster's audit log, under the agent's name.
func TestAgentRefusalsAudited(t *testing.T) {
	needProcesses(t)
	c := newCluster(t, 1, clusterOptions{})
	c.startAgent("node-1")
	node, err := c.admin.Node(t.Context(), "node-1")
	if err != nil || node.LogAddress == "" {
		t.Fatalf("node-1 serves no logs: %+v, %v", node, err)
	}

	plain, err := net.DialTimeout("tcp", node.LogAddress, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = plain.Write([]byte("GET /v1/logs HTTP/1.0\r\n\r\n"))
	_ = plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = plain.Read(make([]byte, 256))
	_ = plain.Close()
	other := newClusterPKI(t, filepath.Join(t.TempDir(), "tls"))
	if err := testutil.TLSExchange(node.LogAddress, testutil.Presenting(t, other.user.Cert, other.user.Key)); err == nil {
		t.Fatal("the log server accepted a certificate of another CA")
	}

	waitAudited(t, c, "node-1/logs: plaintext (not TLS) client", "node-1/logs: certificate from another CA")
}
