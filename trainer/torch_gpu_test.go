package trainer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/datasets/ingest"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
	"github.com/dxtrain/dxtrain/trainer/runtime/bundle"
)

// aliveScript reports twice a second until it is killed; it computes nothing on a
// GPU, so the test needs none (the devices are go-nvml's mocks).
const aliveScript = `import time, dxtrain
ctx = dxtrain.init()
print("rank", ctx.rank, "local", ctx.local_rank, "device", ctx.device, flush=True)
step = 0
while True:
    step += 1
    ctx.report(step, loss=1.0 / step)
    time.sleep(0.5)
`

// TestTorchRanksOnMockGPUs: a torch worker with devices_per_worker 2 on a node of 8
// (mock) GPUs runs two processes, each seeing exactly its scheduled GPU by UUID, with
// torchrun's variables and its share of the cores. A double-bit ECC error on one of
// them ends both processes within 5 s, the attempt fails naming the device, and the
// next attempt runs on two usable GPUs, never the cordoned one.
func TestTorchRanksOnMockGPUs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python processes; skipped under -short")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("/usr/bin/python3 is missing: make test installs Debian's python3-numpy and python3-torch")
	}
	c := startCluster(t, 3*heartbeatEvery)
	rig, coll := mockedGPUs(t)
	api, err := client.New([]string{c.addr}, c.agentToken)
	if err != nil {
		t.Fatal(err)
	}
	acfg := testAgentConfig(t, "gpu-node", api, c.store, coll)
	acfg.Python, acfg.CPUs = "/usr/bin/python3", 4
	a, err := NewAgent(acfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	if _, err := ingest.Ingest(t.Context(), ingest.Config{SpecPath: "../datasets/specs/wdbc-ingest.yaml",
		Store: c.store, Registrar: ClusterRegistrar(c.admin), Seed: 42}); err != nil {
		t.Fatal(err)
	}
	code := t.TempDir()
	if err := os.WriteFile(filepath.Join(code, "alive.py"), []byte(aliveScript), 0o644); err != nil {
		t.Fatal(err)
	}
	data, sha, err := bundle.Pack(code, bundle.DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Upload(t.Context(), c.store, data); err != nil {
		t.Fatal(err)
	}
	spec := "name: gpu-ranks\nruntime: torch\ncode: {path: code, entrypoint: alive.py}\ndataset: {id: wdbc}\n" +
		"workers: {min: 1, max: 1, device: gpu, devices_per_worker: 2}\nmax_restarts: 1\nsilence_timeout: 30s\n"
	sub, err := c.admin.SubmitExperiment(t.Context(), []byte(spec), sha)
	if err != nil {
		t.Fatal(err)
	}

	first := waitForRanks(t, c, sub.ID, 1)
	envs := ranksEnv(t, first.ID)
	want := first.Ranks[0].Devices
	if len(want) != 2 {
		t.Fatalf("the scheduler gave %v, want 2 GPUs", want)
	}
	for r, env := range envs {
		if env["CUDA_VISIBLE_DEVICES"] != want[r] || !strings.HasPrefix(want[r], "GPU-") ||
			env["LOCAL_RANK"] != strconv.Itoa(r) || env["WORLD_SIZE"] != "2" || env["LOCAL_WORLD_SIZE"] != "2" ||
			env["GROUP_RANK"] != "0" || env["OMP_NUM_THREADS"] != "2" || env["DXTRAIN_DEVICE"] != "gpu" || env["MASTER_PORT"] == "" {
			t.Errorf("rank %d's environment: %v (want GPU %s)", r, env, want[r])
		}
	}

	sick := slices.Index(rigUUIDs(rig), want[1])
	injected := time.Now()
	rig.InjectDoubleBitECC(sick)
	testutil.WaitFor(t, 5*time.Second, "both ranks gone after the ECC error", func() (bool, string) {
		return len(ranksEnv(t, first.ID)) == 0, "still running"
	})
	t.Logf("ranks gone %v after the fault", time.Since(injected).Round(time.Millisecond))
	second := waitForRanks(t, c, sub.ID, 2)
	as := c.attempts(t, sub.ID)
	if as[0].Status != structs.AttemptFailed || !strings.Contains(as[0].EndReason, want[1]) {
		t.Errorf("attempt 1: %s %q, want failed naming %s", as[0].Status, as[0].EndReason, want[1])
	}
	if slices.Contains(second.Ranks[0].Devices, want[1]) || len(second.Ranks[0].Devices) != 2 {
		t.Errorf("attempt 2 was given %v, including the cordoned %s", second.Ranks[0].Devices, want[1])
	}
	if _, err := c.admin.CancelExperiment(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "attempt 2's ranks gone after the cancel", func() (bool, string) {
		return len(ranksEnv(t, second.ID)) == 0, "still running"
	})
}

// waitForRanks waits until attempt number n runs and both of its processes are up.
func waitForRanks(t *testing.T, c *testCluster, expID string, n int) structs.Attempt {
	t.Helper()
	var att structs.Attempt
	testutil.WaitFor(t, 60*time.Second, fmt.Sprintf("attempt %d's two ranks", n), func() (bool, string) {
		as := c.attempts(t, expID)
		if len(as) < n {
			return false, fmt.Sprintf("%d attempts", len(as))
		}
		att = as[n-1]
		return att.Status == structs.AttemptRunning && len(ranksEnv(t, att.ID)) == 2, att.Status
	})
	return att
}

// ranksEnv reads the environment of every process of the attempt, by RANK.
func ranksEnv(t *testing.T, attemptID string) map[int]map[string]string {
	t.Helper()
	out := map[int]map[string]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !strings.Contains(string(raw), "\x00DXTRAIN_ATTEMPT_ID="+attemptID+"\x00") {
			continue
		}
		env := map[string]string{}
		for _, kv := range strings.Split(string(raw), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		if r, err := strconv.Atoi(env["RANK"]); err == nil {
			out[r] = env
		}
	}
	return out
}

func rigUUIDs(rig *nvmltest.Rig) []string {
	out := make([]string, rig.GPUs())
	for i := range out {
		out[i] = rig.UUID(i)
	}
	return out
}
