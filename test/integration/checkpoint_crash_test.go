package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// gcGrace is the blob GC grace period of the crash tests' server: longer than any
// checkpoint upload-then-commit takes here, short enough to wait out.
const gcGrace = 5 * time.Second

// newGCCluster starts one `dxtrain server` from a config file that gives it the
// shared file store (so its leader runs retention and blob GC every 300 ms with a
// gcGrace grace period) and a 2 s node heartbeat timeout; it bootstraps ACLs and
// creates an agent token, as newCluster does.
func newGCCluster(t *testing.T) *cluster {
	t.Helper()
	root := t.TempDir()
	c := &cluster{t: t, logDir: filepath.Join(root, "logs"), storeDir: filepath.Join(root, "store"), agents: map[string]*proc{},
		pki: newClusterPKI(t, filepath.Join(root, "tls"))}
	for _, d := range []string{c.logDir, c.storeDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &server{id: "server-1", httpAddr: freePort(t), raftAddr: freePort(t), dataDir: filepath.Join(root, "server-1"),
		tls: c.pki.userOption()}
	own := c.pki.issue(pki.RoleServer, s.id)
	cfg := fmt.Sprintf("node_id: %s\ndata_dir: %s\nraft_addr: %s\nhttp_addr: %s\nbootstrap: true\n"+
		"node_heartbeat_timeout: 2s\ngc_interval: 300ms\ngc_grace: %s\nstore_url: file://%s\n"+
		"tls:\n  ca_file: %s\n  cert_file: %s\n  key_file: %s\n",
		s.id, s.dataDir, s.raftAddr, s.httpAddr, gcGrace, c.storeDir, own.CA, own.Cert, own.Key)
	cfgPath := filepath.Join(root, "server.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.proc = newProc(t, c.logDir, s.id, nil, "server", "--config", cfgPath)
	c.servers = []*server{s}
	testutil.WaitFor(t, 20*time.Second, s.id+" to answer HTTP", func() (bool, string) {
		_, err := s.client("").Status(t.Context())
		return errors.Is(err, structs.ErrUnauthenticated), fmt.Sprint(err)
	})
	c.adminToken = secretFrom(t, runCLI(t, c.cliEnv(), "acl", "bootstrap", "--addr", "https://"+s.httpAddr))
	c.leader(20 * time.Second)
	c.agentToken = secretFrom(t, runCLI(t, c.cliEnv("DXTRAIN_TOKEN="+c.adminToken), "acl", "token-create", "agents", "--role", "agent", "--addr", c.addrList()))
	var err error
	if c.admin, err = client.New(c.addrs(), c.adminToken, c.pki.userOption()); err != nil {
		t.Fatal(err)
	}
	return c
}

// startAgentEnv is startAgent with extra environment (the checkpoint crash hook).
func (c *cluster) startAgentEnv(nodeID string, env ...string) *proc {
	c.t.Helper()
	p := newProc(c.t, c.logDir, nodeID, append([]string{"DXTRAIN_TOKEN=" + c.agentToken}, env...),
		append([]string{"agent", "--addr", c.addrList(), "--node-id", nodeID, "--store", "file://" + c.storeDir},
			c.pki.flags(pki.RoleAgent, nodeID)...)...)
	c.agents[nodeID] = p
	testutil.WaitFor(c.t, 20*time.Second, "node "+nodeID+" to be up", func() (bool, string) {
		n, err := c.admin.Node(c.t.Context(), nodeID)
		if err != nil {
			return false, err.Error()
		}
		return n.Status == structs.NodeStatusUp, n.Status
	})
	return p
}

// storeState lists the blobs of the shared store, splits them into referenced (by a
// committed checkpoint record of any experiment) and not, and lists the temporary
// files of interrupted uploads.
func (c *cluster) storeState(expID string) (referenced, unreferenced map[string]bool, missing, temps []string) {
	c.t.Helper()
	refs := map[string]bool{}
	for _, cp := range c.checkpoints(expID) {
		refs[strings.TrimPrefix(cp.ManifestHash, "sha256:")] = true
		for _, h := range cp.BlobHashes {
			refs[strings.TrimPrefix(h, "sha256:")] = true
		}
	}
	store, err := storage.NewFileStore(c.storeDir)
	if err != nil {
		c.t.Fatal(err)
	}
	infos, err := store.List(c.t.Context(), "blobs/")
	if err != nil {
		c.t.Fatal(err)
	}
	referenced, unreferenced = map[string]bool{}, map[string]bool{}
	for _, i := range infos {
		sha := filepath.Base(i.Key)
		if refs[sha] {
			referenced[sha] = true
		} else {
			unreferenced[sha] = true
		}
	}
	for sha := range refs {
		if !referenced[sha] {
			missing = append(missing, sha)
		}
	}
	temps, _ = filepath.Glob(filepath.Join(c.storeDir, "blobs", "sha256", "*", storage.TempPrefix+"*"))
	return referenced, unreferenced, missing, temps
}

// Kill -9 the agent writing a checkpoint at each phase — mid-blob, after the blobs but
// before the commit, and once the commit is acknowledged — through the checkpoint
// crash hook (trainer/checkpoint/crash_hook.go) at its second checkpoint. Attempt 2,
// on another agent, resumes from the last committed checkpoint (never the partial
// one), the experiment succeeds, and once the grace period has passed the blobs and
// temporary files the crash left are swept while every referenced blob remains.
func TestCheckpointCrashPhases(t *testing.T) {
	needProcesses(t)
	const every = 20
	tests := []struct {
		phase         string
		committedStep int64 // attempt 1's last committed checkpoint
		orphans       bool  // the crash leaves unreferenced blobs
		temps         bool  // the crash leaves a temporary file of an interrupted upload
	}{
		{checkpoint.CrashMidBlob, every, false, true},
		{checkpoint.CrashBeforeCommit, every, true, false},
		{checkpoint.CrashDuringCommit, 2 * every, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.phase, func(t *testing.T) {
			c := newGCCluster(t)
			victim := c.startAgentEnv("agent-1", checkpoint.CrashEnv+"="+tc.phase, checkpoint.CrashAtEnv+"=2")
			id := c.submit(wdbcSpec(t, 150, every))
			first := c.runningAttempt(id, 1, 20*time.Second)
			testutil.WaitFor(t, 30*time.Second, "agent-1 to kill itself at "+tc.phase, func() (bool, string) {
				return victim.exited(), "still running"
			})
			if log := tail(victim.logPath, 400); !strings.Contains(log, "SIGKILL at "+tc.phase) {
				t.Fatalf("agent-1 exited but not through the crash hook at %s:\n%s", tc.phase, tail(victim.logPath, 30))
			}
			var last structs.Checkpoint
			for _, cp := range c.checkpoints(id) {
				if cp.AttemptID == first.ID && cp.Step > last.Step {
					last = cp
				}
			}
			if last.Step != tc.committedStep {
				t.Fatalf("attempt 1's last committed checkpoint is at step %d, want %d", last.Step, tc.committedStep)
			}
			_, unref, missing, temps := c.storeState(id)
			if len(missing) > 0 {
				t.Fatalf("committed records name blobs missing from the store: %v", missing)
			}
			if (len(unref) > 0) != tc.orphans || (len(temps) > 0) != tc.temps {
				t.Fatalf("right after the crash: %d unreferenced blobs, temporary files %v; want orphans %v, temporary files %v",
					len(unref), temps, tc.orphans, tc.temps)
			}
			crashOrphans := unref

			c.startAgentEnv("agent-2")
			second := c.runningAttempt(id, 2, 30*time.Second)
			if second.ResumeFrom != last.ID {
				t.Fatalf("attempt 2 resumes from %q, want attempt 1's last committed %s (step %d)", second.ResumeFrom, last.ID, last.Step)
			}
			resumed := regexp.MustCompile(`msg=resumed .*step=(\d+) .*manifest=(\w+)`)
			testutil.WaitFor(t, 30*time.Second, "agent-2 to log its resume", func() (bool, string) {
				m := resumed.FindStringSubmatch(tail(c.agents["agent-2"].logPath, 400))
				if m == nil {
					return false, "no resumed line"
				}
				want := fmt.Sprint(last.Step)
				if m[1] != want || m[2] != strings.TrimPrefix(last.ManifestHash, "sha256:") {
					t.Fatalf("agent-2 resumed from step %s manifest %s, want step %s manifest %s", m[1], m[2], want, last.ManifestHash)
				}
				return true, ""
			})
			e := c.waitExperiment(id, 90*time.Second)
			if e.Status != structs.ExperimentSucceeded {
				t.Fatalf("experiment %s %s: %s", id, e.Status, e.StatusReason)
			}

			// After the grace period the leader's sweep leaves exactly the referenced blobs.
			testutil.WaitFor(t, gcGrace+30*time.Second, "the crash's orphans to be swept", func() (bool, string) {
				_, unref, missing, temps := c.storeState(id)
				if len(missing) > 0 {
					t.Fatalf("committed records name blobs missing from the store: %v", missing)
				}
				return len(unref) == 0 && len(temps) == 0, fmt.Sprintf("%d unreferenced blobs, %d temporary files", len(unref), len(temps))
			})
			cps := c.checkpoints(id)
			if len(cps) == 0 {
				t.Fatal("no checkpoints left after retention")
			}
			c.verifyCheckpoints(cps)
			t.Logf("%s: attempt 1 committed up to step %d; %d orphan blobs and %d temporary files after the crash, all swept; %d checkpoints kept",
				tc.phase, last.Step, len(crashOrphans), len(temps), len(cps))
		})
	}
}
