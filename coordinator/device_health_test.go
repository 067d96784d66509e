package coordinator

import (
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// A device that turns unhealthy mid-attempt is cordoned; the attempt fails; the
// checkpoint committed after the fault began is suspect; the experiment resumes on
// another node from the last clean checkpoint. Degraded does not cordon; uncordon
// returns the device.
func TestUnhealthyDeviceCordonsFailsAndResumesClean(t *testing.T) {
	// Beats without devices leave health alone.
	r := startRunning(t, "gpu-fault", runningSetup{nodes: []string{"node-001", "node-002"}, beat: true, restarts: 2})
	servers, tk, sub, first := r.servers, r.tk, r.sub, r.att
	ctx := t.Context()
	if first.Ranks[0].NodeID != "node-001" {
		t.Fatalf("first attempt on %s, want node-001", first.Ranks[0].NodeID)
	}
	commit := func(step int64) *structs.Checkpoint {
		t.Helper()
		r, err := tk.agent.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: sub.ID, AttemptID: first.ID,
			Step: step, ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		c, err := tk.researcher.Checkpoint(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	clean := commit(10)
	// The leader dates a fault heartbeatTransit before the agent's word: keep the fault
	// further than that after the clean checkpoint.
	testutil.WaitFor(t, 5*time.Second, "3 heartbeat transits of leader time after the clean checkpoint", func() (bool, string) {
		return time.Now().UnixNano() > clean.CreatedAt+int64(3*heartbeatTransit), ""
	})
	late := commit(20)
	faultStart := clean.CreatedAt + int64(2*heartbeatTransit)

	// Degraded: reported, not cordoned, the attempt keeps running.
	if _, err := tk.agent.Heartbeat(ctx, "node-001", structs.DeviceStatus{ID: "cpu0", Health: structs.DeviceDegraded,
		Reasons: []string{"temperature 91C above 85C"}}); err != nil {
		t.Fatal(err)
	}
	n, err := tk.researcher.Node(ctx, "node-001")
	if err != nil || n.Devices[0].Health != structs.DeviceDegraded || n.Devices[0].Cordoned || len(n.Devices[0].Reasons) != 1 {
		t.Fatalf("node after degraded report: %+v %v", n, err)
	}
	if a, _ := tk.researcher.Attempts(ctx, sub.ID); len(a) != 1 || a[0].Status != structs.AttemptRunning {
		t.Fatalf("degraded device ended the attempt: %+v", a)
	}

	// Bad heartbeats are refused and change nothing.
	if _, err := tk.agent.Heartbeat(ctx, "node-001", structs.DeviceStatus{ID: "gpu9", Health: structs.DeviceHealthy}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
	if _, err := tk.agent.Heartbeat(ctx, "node-001", structs.DeviceStatus{ID: "cpu0", Health: "on fire"}); !errors.Is(err, structs.ErrInvalid) {
		t.Fatalf("bad health: %v", err)
	}

	// Unhealthy: the agent first saw the fault between the two checkpoints.
	ago := (time.Now().UnixNano() - faultStart) / int64(time.Millisecond)
	if _, err := tk.agent.Heartbeat(ctx, "node-001", structs.DeviceStatus{ID: "cpu0", Health: structs.DeviceUnhealthy,
		Reasons: []string{"xid 79: fallen off the bus"}, UnhealthyForMS: ago}); err != nil {
		t.Fatal(err)
	}
	n, err = tk.researcher.Node(ctx, "node-001")
	if err != nil || !n.Devices[0].Cordoned || n.Devices[0].Health != structs.DeviceUnhealthy ||
		!strings.Contains(n.Devices[0].CordonReason, "xid 79") {
		t.Fatalf("node after unhealthy report: %+v %v", n, err)
	}
	atts, _ := tk.researcher.Attempts(ctx, sub.ID)
	if atts[0].Status != structs.AttemptFailed || !strings.HasPrefix(atts[0].EndReason, "device cpu0 unhealthy: xid 79") {
		t.Fatalf("first attempt after fault: %+v", atts[0])
	}
	if c, _ := tk.researcher.Checkpoint(ctx, late.ID); !c.Suspect {
		t.Fatalf("checkpoint after the fault not suspect: %+v", c)
	}
	if c, _ := tk.researcher.Checkpoint(ctx, clean.ID); c.Suspect {
		t.Fatalf("checkpoint before the fault marked suspect: %+v", c)
	}
	second := runningAttempt(t, tk.researcher, sub.ID, first.ID)
	if second.Ranks[0].NodeID != "node-002" || second.ResumeFrom != clean.ID {
		t.Fatalf("replacement: %+v, want node-002 resuming from clean %s", second, clean.ID)
	}
	// Still unhealthy: no second cordon entry, no error.
	if _, err := tk.agent.Heartbeat(ctx, "node-001", structs.DeviceStatus{ID: "cpu0", Health: structs.DeviceUnhealthy}); err != nil {
		t.Fatal(err)
	}
	// Re-registering cannot lift the cordon.
	registerNode(t, tk.agent, "node-001")
	if n, _ := tk.researcher.Node(ctx, "node-001"); !n.Devices[0].Cordoned {
		t.Fatalf("re-registration lifted the cordon: %+v", n.Devices[0])
	}

	if _, err := tk.researcher.UncordonDevice(ctx, "node-001", "cpu0"); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("researcher uncordon: %v", err)
	}
	if _, err := tk.agent.UncordonDevice(ctx, "node-001", "cpu0"); !errors.Is(err, structs.ErrPermissionDenied) {
		t.Fatalf("agent uncordon: %v", err)
	}
	if _, err := tk.admin.UncordonDevice(ctx, "node-001", "nope"); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("uncordon unknown device: %v", err)
	}
	if _, err := tk.admin.UncordonDevice(ctx, "node-001", "cpu0"); err != nil {
		t.Fatal(err)
	}
	n, _ = tk.researcher.Node(ctx, "node-001")
	if n.Devices[0].Cordoned || n.Devices[0].Health != structs.DeviceHealthy || n.Devices[0].CordonReason != "" {
		t.Fatalf("after uncordon: %+v", n.Devices[0])
	}
	if _, err := tk.admin.UncordonDevice(ctx, "node-001", "cpu0"); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("second uncordon: %v", err)
	}

	body := scrape(t, servers[0].HTTPAddr())
	for _, want := range []string{
		"dxtrain_raft_state 2", "dxtrain_raft_term ", "dxtrain_raft_last_index ", "dxtrain_raft_applied_index ",
		`dxtrain_fsm_apply_duration_seconds_count{type="device_unhealthy"} 1`,
		`dxtrain_fsm_apply_duration_seconds_count{type="attempt_create"} 2`,
		"dxtrain_scheduler_placements_total 2", "dxtrain_scheduler_placement_failures_total 0",
		"dxtrain_heartbeat_duration_seconds_count ",
		`dxtrain_nodes{status="up"} 2`, `dxtrain_experiments{status="running"} 1`,
		`dxtrain_devices{cordoned="false",health="healthy",kind="cpu"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`dxtrain_heartbeat_duration_seconds_count (\d+)`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("heartbeat histogram empty: %v", m)
	}
}

// scrape GETs /metrics without a token.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(data)
}
