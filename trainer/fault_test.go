package trainer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator"
	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/device"
	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
)

// This file runs the embedded cluster of `dxtrain dev` inside the test process — one
// in-memory coordinator, worker agents, a file store — to show what the cluster does
// with device health end to end (issue 9): a GPU fault mid-run cordons the device, fails
// the attempt, marks the checkpoints written since the fault suspect and resumes from the
// last clean one on another node; and without NVIDIA drivers the agents train on CPUs.

// testCluster is one coordinator with ACLs bootstrapped and a shared object store.
type testCluster struct {
	addr       string // http://host:port of the coordinator's API
	admin      *client.Client
	agentToken string
	store      storage.Store
}

// startCluster starts a one-server in-memory coordinator. heartbeatTimeout sets how
// long an agent may be silent; agents are told to beat at a third of it.
func startCluster(t *testing.T, heartbeatTimeout time.Duration) *testCluster {
	t.Helper()
	store, err := storage.NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := coordinator.DefaultConfig()
	cfg.NodeID, cfg.InMemory, cfg.Bootstrap, cfg.InsecurePlaintext = "server-1", true, true, true
	cfg.RaftAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.NodeHeartbeatTimeout, cfg.SchedulerInterval = heartbeatTimeout, 100*time.Millisecond
	cfg.RaftHeartbeatTimeout, cfg.RaftElectionTimeout = 100*time.Millisecond, 100*time.Millisecond
	cfg.RaftLeaderLease, cfg.RaftCommitTimeout = 50*time.Millisecond, 5*time.Millisecond
	cfg.Logger = testLogger(t, slog.LevelWarn).With("component", "coordinator")
	cfg.Store = store
	srv, err := coordinator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("coordinator stopped: %v", err)
		}
	})
	c := &testCluster{addr: "http://" + srv.HTTPAddr(), store: store}
	anon, err := client.New([]string{c.addr}, "")
	if err != nil {
		t.Fatal(err)
	}
	var boot *structs.ACLTokenSecretResponse
	testutil.WaitFor(t, 10*time.Second, "the coordinator to lead and bootstrap ACLs", func() (bool, string) {
		boot, err = anon.ACLBootstrap(t.Context())
		return err == nil, fmt.Sprint(err)
	})
	c.admin = anon.WithToken(boot.SecretID)
	tok, err := c.admin.CreateToken(t.Context(), "test-agents", structs.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	c.agentToken = tok.SecretID
	return c
}

// startAgent runs a worker agent with the given devices that reaches the coordinator at
// apiAddr (the coordinator itself, or a heartbeatGate in front of it). It stops when the
// test ends.
func (c *testCluster) startAgent(t *testing.T, nodeID, apiAddr string, devices device.Collector) {
	t.Helper()
	api, err := client.New([]string{apiAddr}, c.agentToken)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(testAgentConfig(t, nodeID, api, c.store, devices))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent %s stopped: %v", nodeID, err)
		}
	})
}

// submit sends experiments/wdbc-mlp.yaml with edits (old → new, each must apply) and
// the dataset path made relative to this package, and returns the experiment ID.
func (c *testCluster) submit(t *testing.T, edits ...string) string {
	t.Helper()
	raw, err := os.ReadFile("../experiments/wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(raw)
	edits = append(edits, "path: datasets/testdata/wdbc.csv", "path: ../datasets/testdata/wdbc.csv")
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(spec, edits[i]) {
			t.Fatalf("experiments/wdbc-mlp.yaml no longer contains %q; update this test", edits[i])
		}
		spec = strings.Replace(spec, edits[i], edits[i+1], 1)
	}
	resp, err := c.admin.SubmitExperiment(t.Context(), []byte(spec), "")
	if err != nil {
		t.Fatalf("submit experiment: %v", err)
	}
	return resp.ID
}

// attempts lists the experiment's attempts in order.
func (c *testCluster) attempts(t *testing.T, expID string) []structs.Attempt {
	t.Helper()
	as, err := c.admin.Attempts(t.Context(), expID)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(as, func(a, b structs.Attempt) int { return a.Number - b.Number })
	return as
}

// checkpoints lists the experiment's ledger.
func (c *testCluster) checkpoints(t *testing.T, expID string) []structs.Checkpoint {
	t.Helper()
	cps, err := c.admin.Checkpoints(t.Context(), expID)
	if err != nil {
		t.Fatal(err)
	}
	return cps
}

// waitSucceeded waits for the experiment to end and fails the test unless it succeeded.
func (c *testCluster) waitSucceeded(t *testing.T, expID string, within time.Duration) {
	t.Helper()
	var e *structs.Experiment
	testutil.WaitFor(t, within, "the experiment to end", func() (bool, string) {
		var err error
		if e, err = c.admin.Experiment(t.Context(), expID); err != nil {
			return false, err.Error()
		}
		return structs.ExperimentTerminal(e.Status), fmt.Sprintf("%s at step %d", e.Status, e.Progress.Step)
	})
	if e.Status != structs.ExperimentSucceeded {
		t.Fatalf("experiment %s: %s (%s)", expID, e.Status, e.StatusReason)
	}
}

// heartbeatGate is a loopback reverse proxy between one agent and the coordinator that
// can hold back the heartbeats reporting an unhealthy device, answering them 504 (the
// client does not retry an unknown outcome, so the agent samples afresh next beat).
//
// Without it the leader hears of a fault within milliseconds of the agent's first
// unhealthy sample and fails the attempt in the same Raft entry, so no checkpoint could
// be committed after the fault's first sign and "suspect" would go untested. With it,
// the test plays a node whose heartbeats did not get through for a moment: the agent
// dates the fault itself (UnhealthyForMS), and the leader must reach back that far.
type heartbeatGate struct {
	addr      string
	hold      atomic.Bool
	forwarded atomic.Int64 // heartbeats passed to the coordinator

	mu        sync.Mutex
	firstHeld time.Time
}

func startGate(t *testing.T, target string) *heartbeatGate {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &heartbeatGate{addr: "http://" + ln.Addr().String()}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(t.Output(), "heartbeat gate: ", 0) // agents cancelling long polls at the end
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/agent/heartbeat" {
			proxy.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if g.hold.Load() && bytes.Contains(body, []byte(`"`+structs.DeviceUnhealthy+`"`)) {
			g.mu.Lock()
			if g.firstHeld.IsZero() {
				g.firstHeld = time.Now()
			}
			g.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusGatewayTimeout)
			_, _ = w.Write([]byte(`{"error":"heartbeat held back by the test's gate"}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
		g.forwarded.Add(1)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return g
}

// held returns when the gate first held back an unhealthy heartbeat (zero if never).
func (g *heartbeatGate) held() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.firstHeld
}

// testLogger writes to the test's output (shown with -v or on failure).
// testAgentConfig is the default agent config with quick long-polls and progress, a
// work directory of the test's own, and the test's log.
func testAgentConfig(t *testing.T, nodeID string, api *client.Client, store storage.Store, devices device.Collector) AgentConfig {
	cfg := DefaultAgentConfig()
	cfg.NodeID, cfg.API, cfg.Store, cfg.Devices = nodeID, api, store, devices
	cfg.InsecurePlaintext = true
	cfg.AssignmentWait, cfg.ProgressEvery = time.Second, 200*time.Millisecond
	cfg.WorkDir, cfg.LogAddress = t.TempDir(), ""
	cfg.Logger = testLogger(t, slog.LevelInfo).With("component", "agent")
	return cfg
}

func testLogger(t *testing.T, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// TestTrainsWithoutNVIDIADrivers is the CI case: device.New finds no NVIDIA driver,
// falls back to the CPU collector, and an agent with it trains a one-rank experiment to
// success on the embedded cluster.
func TestTrainsWithoutNVIDIADrivers(t *testing.T) {
	devices, err := device.New(t.Context(), device.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devices.Close() })
	if devices.Kind() != device.KindCPU {
		t.Skipf("this machine has a usable NVIDIA driver (collector %q); the fallback needs one without", devices.Kind())
	}
	inv, err := devices.Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 1 || inv[0].Kind != device.DeviceCPU {
		t.Fatalf("cpu collector inventory %+v, want one cpu device", inv)
	}
	c := startCluster(t, 3*time.Second)
	c.startAgent(t, "cpu-node-1", c.addr, devices)
	id := c.submit(t, "epochs: 60", "epochs: 5")
	c.waitSucceeded(t, id, 3*time.Minute) // a liveness deadline: the rest of 4000 epochs, on a machine other test packages share
	as := c.attempts(t, id)
	if len(as) != 1 || as[0].Status != structs.AttemptSucceeded || !as[0].HasNode("cpu-node-1") {
		t.Fatalf("attempts %+v, want one that succeeded on cpu-node-1", as)
	}
	n, err := c.admin.Node(t.Context(), "cpu-node-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Devices) != 1 || n.Devices[0].Kind != "cpu" || n.Devices[0].ID != inv[0].UUID || !n.Devices[0].Usable() {
		t.Fatalf("node devices %+v, want the one usable cpu device %s", n.Devices, inv[0].UUID)
	}
	if cps := c.checkpoints(t, id); len(cps) == 0 {
		t.Fatal("the run committed no checkpoint")
	}
}

// gpuNode is one agent's mocked DGX H100 and what the test holds of it.
type gpuNode struct {
	id        string
	rig       *nvmltest.Rig
	collector *device.NVMLCollector
	gate      *heartbeatGate
}

// heartbeatEvery is how often the test cluster's agents sample and beat.
const heartbeatEvery = time.Second

// TestDeviceFaultCordonsAndResumes injects a double-bit ECC error into a GPU of the node
// running a one-rank GPU experiment (each rank takes a whole 8-GPU node) and follows what
// the cluster does: the device is cordoned, the attempt fails naming it, the checkpoints
// committed after the agent first saw the fault are suspect and the earlier ones are
// not, a new attempt resumes from the last clean checkpoint on the other node, and the
// experiment succeeds. Uncordoning the repaired device returns the node to service.
func TestDeviceFaultCordonsAndResumes(t *testing.T) {
	c := startCluster(t, 3*time.Second) // agents beat every second
	nodes := map[string]*gpuNode{}
	for _, id := range []string{"gpu-node-1", "gpu-node-2"} {
		rig, coll := mockedGPUs(t)
		n := &gpuNode{id: id, rig: rig, collector: coll, gate: startGate(t, c.addr)}
		c.startAgent(t, id, n.gate.addr, coll)
		nodes[id] = n
	}
	testutil.WaitFor(t, 10*time.Second, "both nodes with 8 usable GPUs", func() (bool, string) {
		ns, err := c.admin.Nodes(t.Context())
		if err != nil {
			return false, err.Error()
		}
		ready := 0
		for _, n := range ns {
			if n.Status == structs.NodeStatusUp && n.UsableDevices("gpu") == 8 {
				ready++
			}
		}
		return ready == 2, fmt.Sprintf("%d of 2 ready", ready)
	})

	id := c.submit(t,
		"epochs: 60", "epochs: 4000", // long enough to outlast the fault injection (~5 s)
		"workers: {min: 1, max: 1, device: cpu}", "workers: {min: 1, max: 1, device: gpu, devices_per_worker: 8}",
		"every_steps: 50", "every_steps: 20")
	var first structs.Attempt
	testutil.WaitFor(t, 10*time.Second, "the first attempt to commit two checkpoints", func() (bool, string) {
		as := c.attempts(t, id)
		if len(as) == 0 {
			return false, "no attempt yet"
		}
		first = as[0]
		n := len(c.checkpoints(t, id))
		return n >= 2, fmt.Sprintf("attempt %s %s, %d checkpoints", first.ID, first.Status, n)
	})
	if first.Status != structs.AttemptRunning || len(first.Ranks) != 1 {
		t.Fatalf("first attempt %+v, want one running rank", first)
	}
	sick := nodes[first.Ranks[0].NodeID]
	var other *gpuNode
	for _, n := range nodes {
		if n != sick {
			other = n
		}
	}
	const gpu = 2
	uuid := sick.rig.UUID(gpu)

	// Let the agent take healthy samples after the first checkpoints: it dates a fault
	// from its last healthy sample, so only checkpoints older than that stay clean. The
	// agent samples before each beat, so the second beat through the gate from now
	// carries a sample taken after these checkpoints.
	beats := sick.gate.forwarded.Load()
	testutil.WaitFor(t, 10*time.Second, "two healthy heartbeats after the first checkpoints", func() (bool, string) {
		n := sick.gate.forwarded.Load() - beats
		return n >= 2, fmt.Sprintf("%d heartbeats", n)
	})

	// The fault: hold back the node's unhealthy heartbeats for a moment (see
	// heartbeatGate) so checkpoints are committed after the agent first saw it.
	sick.gate.hold.Store(true)
	injected := time.Now()
	sick.rig.InjectDoubleBitECC(gpu)
	testutil.WaitFor(t, 5*time.Second, "the agent to report the fault", func() (bool, string) {
		return !sick.gate.held().IsZero(), "no unhealthy heartbeat yet"
	})
	// The leader dates the fault from the agent's report, give or take the transit of
	// the releasing heartbeat; checkpoints this long after the first held heartbeat must
	// be suspect.
	const margin = 250 * time.Millisecond
	seen := sick.gate.held()
	release := time.Now().Add(600 * time.Millisecond) // well inside the 3 s heartbeat timeout
	testutil.WaitFor(t, 5*time.Second, "two checkpoints committed after the fault was seen, or the hold's end", func() (bool, string) {
		after := 0
		for _, cp := range c.checkpoints(t, id) {
			if time.Unix(0, cp.CreatedAt).After(seen.Add(margin)) {
				after++
			}
		}
		return after >= 2 || !time.Now().Before(release), fmt.Sprintf("%d checkpoints after the fault", after)
	})
	sick.gate.hold.Store(false)

	testutil.WaitFor(t, 10*time.Second, "the faulty GPU to be cordoned", func() (bool, string) {
		n, err := c.admin.Node(t.Context(), sick.id)
		if err != nil {
			return false, err.Error()
		}
		d := n.Devices[n.Device(uuid)]
		return d.Cordoned, fmt.Sprintf("device %+v", d)
	})
	as := c.attempts(t, id)
	if as[0].Status != structs.AttemptFailed || !strings.Contains(as[0].EndReason, uuid) {
		t.Fatalf("first attempt %s: %q, want failed naming %s", as[0].Status, as[0].EndReason, uuid)
	}

	// Suspect marking, judged on the ledger as it stood when the attempt failed.
	var lastClean *structs.Checkpoint
	suspect, unsure := 0, 0
	for _, cp := range c.checkpoints(t, id) {
		if cp.AttemptID != first.ID {
			continue
		}
		created := time.Unix(0, cp.CreatedAt)
		switch {
		case created.Before(injected.Add(-heartbeatEvery-margin)) && cp.Suspect:
			// Older than the agent's last healthy sample before the fault.
			t.Errorf("checkpoint step %d committed %s before the fault is suspect", cp.Step, injected.Sub(created))
		case !created.Before(injected) && !cp.Suspect:
			t.Errorf("checkpoint step %d committed %s after the fault is not suspect", cp.Step, created.Sub(injected))
		case created.Before(injected) && cp.Suspect:
			// Between the last healthy sample and the fault: suspect by caution.
			unsure++
		}
		if cp.Suspect {
			suspect++
		} else if lastClean == nil || cp.Step > lastClean.Step {
			lastClean = &cp
		}
	}
	if suspect == 0 {
		t.Fatal("no checkpoint was committed after the fault was seen; the suspect marking went untested")
	}
	if lastClean == nil {
		t.Fatal("no clean checkpoint to resume from")
	}
	t.Logf("fault seen %s after injection; %d suspect checkpoints (%d of them from between the last healthy sample and the fault); resuming from step %d, committed %s before the fault",
		seen.Sub(injected), suspect, unsure, lastClean.Step, injected.Sub(time.Unix(0, lastClean.CreatedAt)))

	testutil.WaitFor(t, 10*time.Second, "a second attempt", func() (bool, string) {
		as = c.attempts(t, id)
		return len(as) >= 2, fmt.Sprintf("%d attempts", len(as))
	})
	if !as[1].HasNode(other.id) || as[1].ResumeFrom != lastClean.ID {
		t.Fatalf("second attempt on %+v resuming from %q, want %s resuming from %s (step %d)",
			as[1].Ranks, as[1].ResumeFrom, other.id, lastClean.ID, lastClean.Step)
	}
	c.waitSucceeded(t, id, 3*time.Minute) // a liveness deadline: the rest of 4000 epochs, on a machine other test packages share
	for _, cp := range c.checkpoints(t, id) {
		if cp.AttemptID == as[1].ID && (cp.Suspect || cp.Step <= lastClean.Step) {
			t.Fatalf("second attempt's checkpoint step %d (suspect %v) does not continue from step %d", cp.Step, cp.Suspect, lastClean.Step)
		}
	}

	// Repair and uncordon. The agent does not yet forget the collector's sticky fault
	// when its device is uncordoned, so the test does it for the agent.
	sick.rig.Repair(gpu)
	if err := sick.collector.ResetHealth(uuid); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.UncordonDevice(t.Context(), sick.id, uuid); err != nil {
		t.Fatal(err)
	}
	beats = sick.gate.forwarded.Load()
	testutil.WaitFor(t, 10*time.Second, "two heartbeats after the uncordon", func() (bool, string) {
		n := sick.gate.forwarded.Load() - beats
		return n >= 2, fmt.Sprintf("%d heartbeats", n)
	})
	n, err := c.admin.Node(t.Context(), sick.id)
	if err != nil {
		t.Fatal(err)
	}
	if d := n.Devices[n.Device(uuid)]; d.Cordoned || d.Health != structs.DeviceHealthy || n.UsableDevices("gpu") != 8 {
		t.Fatalf("after repair and uncordon: device %+v, %d usable GPUs", d, n.UsableDevices("gpu"))
	}
}
