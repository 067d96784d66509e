package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
	"github.com/dxtrain/dxtrain/pki"
)

// markup is user input that a page would run if any value were rendered as HTML.
const markup = `<script>window.pwned=1</script>"quote' <img src=x onerror="window.pwned=2">`

// longSpec is a WDBC MLP with two hidden layers of width units, long enough to be
// watched and cancelled from the console; its description carries markup.
func longSpec(t *testing.T, dir string, width int) string {
	t.Helper()
	spec := fmt.Sprintf(`name: watched
description: %q
dataset: {id: wdbc, label: diagnosis, classes: [B, M]}
model: {architecture: mlp, hidden: [%[2]d, %[2]d]}
training:
  epochs: 100000
  batch_size: 16
  optimizer: {name: adam, learning_rate: 0.001}
  seed: 7
workers: {min: 1, max: 1, device: cpu}
checkpoint: {every_steps: 100000, keep_last: 1}
`, markup, width)
	p := filepath.Join(dir, "watched.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lineageSpec is the WDBC MLP at batch priority, long enough to be preempted, with
// every checkpoint kept so the lineage is whole.
func lineageSpec(t *testing.T, dir string) string {
	t.Helper()
	p := preemptSpec(t, dir, "lineage", "batch", 8000, 1) // ~100k steps: seconds even on a quiet machine
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(strings.Replace(string(b), "every_steps: 50", "every_steps: 10000", 1), "keep_last: 3", "keep_last: 100", 1)
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConsoleInBrowser drives the console in headless Chromium against `dxtrain dev`:
// a researcher watches a curve grow and cancels the run; a validator reads the
// lineage, the clinical report and a model card, pins, acknowledges and revokes; an
// admin drains a node and finds every action in the audit; a trust sees models only.
// Markup in user input stays text throughout.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a browser")
	}
	c := startDev(t)
	ctx := browser(t, c)
	work := t.TempDir()
	researcher := c.token(t, "researcher", structs.RoleResearcher)
	validator := c.token(t, "validator", structs.RoleValidator)
	trust := c.token(t, "trust", structs.RoleTrust)
	admin := c.api(t, c.admin)
	c.must(t, c.admin, "datasets", "ingest", "datasets/specs/wdbc-ingest.yaml")

	// A finished run whose lineage crosses a restart: a batch run preempted by an
	// urgent one resumes from its stop checkpoint. Then evaluated, a link replayed,
	// released.
	done := strings.TrimSpace(c.must(t, c.admin, "run", lineageSpec(t, work), "--detach"))
	testutil.WaitFor(t, 60*time.Second, "the batch run to train", func() (bool, string) {
		e, err := admin.Experiment(t.Context(), done)
		return err == nil && e.Status == structs.ExperimentRunning && e.Progress.Step > 200, fmt.Sprint(err)
	})
	c.must(t, c.admin, "run", preemptSpec(t, work, "urgent-run", "urgent", 10, 1), "--detach")
	c.waitSucceeded(t, done)
	if as, err := admin.Attempts(t.Context(), done); err != nil || len(as) != 2 || as[1].ResumedFrom == "" {
		t.Fatalf("the batch run was not preempted and resumed: %v %+v", err, as)
	}
	cps, err := admin.Checkpoints(t.Context(), done)
	if err != nil || len(cps) < 2 {
		t.Fatalf("checkpoints of %s: %v (%d)", done, err, len(cps))
	}
	slices.SortFunc(cps, func(a, b structs.Checkpoint) int { return int(a.Step - b.Step) })
	last, prev := cps[len(cps)-1], cps[len(cps)-2]
	c.must(t, validator, "checkpoints", "evaluate", done, "--step", strconv.FormatInt(last.Step, 10))
	c.must(t, validator, "checkpoints", "replay", done, "--from", strconv.FormatInt(prev.Step, 10), "--to", strconv.FormatInt(last.Step, 10))
	keys := filepath.Join(work, "keys")
	c.must(t, "", "keys", "generate", "--out", keys, "--name", "approver")
	c.must(t, validator, "models", "release", done, "--step", strconv.FormatInt(last.Step, 10), "--name", "wdbc",
		"--key", filepath.Join(keys, "approver.key"), "--approver", "approver", "--limitation", "Research use only.",
		"--allow-unknown-code-version")
	if _, err := admin.RecordAlert(t.Context(), structs.AlertRecordArgs{Kind: structs.AlertCheckpointRefused, ExperimentID: done,
		Step: last.Step, Reason: "a resume refused a blob (recorded by the test)"}); err != nil {
		t.Fatal(err)
	}

	t.Run("researcher watches a run train and cancels it", func(t *testing.T) {
		id := strings.TrimSpace(c.must(t, researcher, "run", longSpec(t, work, 64), "--detach"))
		signIn(t, ctx, c, researcher)
		open(t, ctx, "#/experiments", "a.exp-link")
		screenshot(t, ctx, "experiments")
		open(t, ctx, "#/experiments/"+id, "#curves figure")
		do(t, ctx, "mark the page", script(`window.notReloaded = true`))
		before := eval[int](t, ctx, `Number(document.querySelector('#curves').dataset.points)`)
		waitJS(t, ctx, "the curve grows without a reload",
			fmt.Sprintf(`window.notReloaded === true && Number(document.querySelector('#curves').dataset.points) > %d`, before+8))
		if got := eval[string](t, ctx, `document.querySelector('#exp-description').textContent`); got != markup {
			t.Fatalf("description rendered as %q, want the markup as text", got)
		}
		if eval[bool](t, ctx, `window.pwned !== undefined || document.querySelector('#head img, #head script') !== null`) {
			t.Fatal("markup in the description became elements")
		}
		screenshot(t, ctx, "experiment")
		confirmAction(t, ctx, "#controls", "Cancel", "")
		waitStatus(t, c, id, structs.ExperimentCancelled)
	})

	t.Run("validator reads lineage, report and card, pins, acknowledges, revokes", func(t *testing.T) {
		signIn(t, ctx, c, validator)
		ledger, err := admin.Checkpoints(t.Context(), done) // retention may have pruned some since
		if err != nil {
			t.Fatal(err)
		}
		open(t, ctx, "#/experiments/"+done+"/checkpoints", "svg#lineage g.cp")
		if n := eval[int](t, ctx, `document.querySelectorAll('svg#lineage g.cp').length`); n != len(ledger) {
			t.Fatalf("lineage draws %d checkpoints, the ledger has %d", n, len(ledger))
		}
		// One chain across the restart: every checkpoint but the first has a parent.
		if n := eval[int](t, ctx, `document.querySelectorAll('svg#lineage line.edge').length`); n != len(ledger)-1 {
			t.Fatalf("lineage draws %d edges for %d checkpoints in one chain", n, len(ledger))
		}
		if lanes := eval[int](t, ctx, `document.querySelectorAll('svg#lineage text.lane').length`); lanes != 2 {
			t.Fatalf("lineage draws %d attempts, want 2", lanes)
		}
		if !strings.Contains(textOf(t, ctx, "#last-replay"), structs.ReplayIdentical) {
			t.Fatalf("last replay shows %q", textOf(t, ctx, "#last-replay"))
		}
		textOf(t, ctx, `#report figure[data-title^="ROC"]`)
		textOf(t, ctx, `#report figure[data-title^="Reliability"]`)
		screenshot(t, ctx, "checkpoints")
		// The released checkpoint is pinned by its release: pin another one.
		i := slices.IndexFunc(ledger, func(c structs.Checkpoint) bool { return !c.Pinned })
		if i < 0 {
			t.Fatalf("every checkpoint is pinned: %+v", ledger)
		}
		unpinned := ledger[i]
		do(t, ctx, "select a checkpoint", chromedp.Click(chromedp.CSS(fmt.Sprintf(`a.cp-link[data-step="%d"]`, unpinned.Step))),
			chromedp.WaitVisible(chromedp.CSS(`#checkpoint button[data-action="pin"]`)))
		confirmAction(t, ctx, "#checkpoint", "Pin", "")
		testutil.WaitFor(t, 10*time.Second, "the console pins the checkpoint", func() (bool, string) {
			cp, err := admin.Checkpoint(t.Context(), unpinned.ID)
			return err == nil && cp.Pinned, pageText(ctx)
		})

		open(t, ctx, "#/experiments/"+done, "#alerts table")
		confirmAction(t, ctx, "#alerts", "Acknowledge", "")
		testutil.WaitFor(t, 10*time.Second, "the console acknowledges the alert", func() (bool, string) {
			open, err := admin.Alerts(t.Context(), done, true)
			return err == nil && len(open) == 0, pageText(ctx)
		})

		open(t, ctx, "#/datasets", "#gate")
		open(t, ctx, "#/models", "#card article")
		want := "dxtrain models pull wdbc@1 --pubkey approver.pub --out ./wdbc-v1"
		if got := textOf(t, ctx, "#pull-command"); got != want {
			t.Fatalf("pull command %q, want %q", got, want)
		}
		screenshot(t, ctx, "models")
		confirmAction(t, ctx, "#model", "Revoke", markup)
		testutil.WaitFor(t, 10*time.Second, "the console revokes wdbc@1 with the reason typed", func() (bool, string) {
			v, err := admin.ModelVersion(t.Context(), "wdbc", 1)
			return err == nil && v.Revoked && v.RevokedReason == markup, pageText(ctx)
		})
		waitJS(t, ctx, "the revoked version shows its reason as text",
			`[...document.querySelectorAll('#model .revoked')].some(e => e.textContent.includes('<script>window.pwned=1</script>'))`)
		if eval[bool](t, ctx, `window.pwned !== undefined || document.querySelector('#model img') !== null`) {
			t.Fatal("markup in the revocation reason became elements")
		}
	})

	t.Run("admin drains a node, uncordons a device and finds every action in the audit", func(t *testing.T) {
		// A second node whose device reports a fault is cordoned by the leader.
		spare := agentClient(t, c, "spare")
		if _, err := spare.RegisterNode(t.Context(), structs.NodeRegisterArgs{ID: "spare", Name: "spare", Address: "127.0.0.1:1",
			Devices: []structs.Device{{ID: "gpu0", Kind: "gpu", Name: "test GPU", Health: structs.DeviceHealthy}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := spare.Heartbeat(t.Context(), "spare", structs.DeviceStatus{ID: "gpu0", Health: structs.DeviceUnhealthy,
			Reasons: []string{"xid 79: fell off the bus"}, UnhealthyForMS: 1}); err != nil {
			t.Fatal(err)
		}
		cordoned := func(want bool) func() (bool, string) {
			return func() (bool, string) {
				n, err := admin.Node(t.Context(), "spare")
				return err == nil && n.Devices[0].Cordoned == want, pageText(ctx)
			}
		}
		testutil.WaitFor(t, 10*time.Second, "the faulty device is cordoned", cordoned(true))
		signIn(t, ctx, c, c.admin)
		open(t, ctx, "#/cluster", ".node table")
		waitJS(t, ctx, "device gauges arrive from heartbeats", `Number(document.querySelector('.node [data-gauge=utilisation]').dataset.samples) >= 2`)
		textOf(t, ctx, "#servers table")
		screenshot(t, ctx, "cluster")
		drained := func(want bool) func() (bool, string) {
			return func() (bool, string) {
				nodes, err := admin.Nodes(t.Context())
				return err == nil && len(nodes) > 0 && nodes[0].Drain == want, pageText(ctx)
			}
		}
		confirmAction(t, ctx, ".node", "Drain", "")
		testutil.WaitFor(t, 10*time.Second, "the console drains the node", drained(true))
		confirmAction(t, ctx, ".node", "Undrain", "")
		testutil.WaitFor(t, 10*time.Second, "the console undrains the node", drained(false))
		confirmAction(t, ctx, `.node[data-node="spare"]`, "Uncordon", "")
		testutil.WaitFor(t, 10*time.Second, "the console uncordons the device", cordoned(false))
		open(t, ctx, "#/audit", "#audit table")
		for _, action := range []string{"experiment_cancel", "checkpoint_flag", "alert_ack", "model_revoke", "node_drain", "node_undrain", "device_uncordon"} {
			waitJS(t, ctx, "audit shows "+action, fmt.Sprintf(`[...document.querySelectorAll('#audit td')].some(td => td.textContent === %q)`, action))
		}
		screenshot(t, ctx, "audit")
	})

	t.Run("a trust sees models only, in the page and through the API", func(t *testing.T) {
		signIn(t, ctx, c, trust)
		if nav := eval[[]string](t, ctx, `[...document.querySelectorAll('#nav a')].map(a => a.textContent)`); !slices.Equal(nav, []string{"Models"}) {
			t.Fatalf("a trust's navigation: %v", nav)
		}
		open(t, ctx, "#/experiments", "main .error")
		if got := textOf(t, ctx, "main .error"); !strings.Contains(got, "may not see") {
			t.Fatalf("a trust on the experiments page sees %q", got)
		}
		open(t, ctx, "#/models", "#card")
		if eval[bool](t, ctx, `document.querySelector('#model button[data-action=revoke]') !== null`) {
			t.Fatal("a trust is offered Revoke")
		}
		for _, call := range []struct{ method, path string }{
			{http.MethodGet, "/v1/experiments"}, {http.MethodPost, "/v1/experiments/" + done + "/cancel"},
			{http.MethodPost, "/v1/checkpoints/" + last.ID + "/flag"},
		} {
			if code := c.call(t, trust, call.method, call.path, "", `{"pinned":false}`); code != http.StatusForbidden {
				t.Errorf("trust %s %s: %d, want 403", call.method, call.path, code)
			}
		}
	})

	t.Run("a write from another origin is refused before it acts", func(t *testing.T) {
		if code := c.call(t, c.admin, http.MethodPost, "/v1/checkpoints/"+last.ID+"/flag", "https://evil.example", `{"pinned":false}`); code != http.StatusForbidden {
			t.Fatalf("cross-origin write: %d, want 403", code)
		}
		if cp, _ := admin.Checkpoint(t.Context(), last.ID); !cp.Pinned {
			t.Fatal("the cross-origin write unpinned the checkpoint")
		}
		if code := c.call(t, c.admin, http.MethodPost, "/v1/checkpoints/"+last.ID+"/flag", "https://"+c.addr, `{"pinned":true}`); code != http.StatusOK {
			t.Fatalf("a write from the console's own origin: %d, want 200", code)
		}
	})
}

// call makes one API request with a token and an optional Origin, over the cluster's
// TLS, and returns the status.
func (c *devCluster) call(t *testing.T, secret, method, path, origin, body string) int {
	t.Helper()
	src, err := pki.Load(c.user)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: src.ClientConfig(pki.RoleServer)}}
	req, err := http.NewRequestWithContext(t.Context(), method, "https://"+c.addr+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(structs.HeaderToken, secret)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// agentClient is an API client with an agent's certificate from the cluster's CA and
// an agent token, as an agent process has.
func agentClient(t *testing.T, c *devCluster, node string) *client.Client {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command(binary, "tls", "cert", "create", "--agent", "--name", node,
		"--ca-dir", filepath.Join(c.dataDir, "tls", "ca"), "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("tls cert create --agent: %v\n%s", err, out)
	}
	src, err := pki.Load(pki.Files{CA: c.user.CA, Cert: filepath.Join(dir, "dev-agent-"+node+".pem"), Key: filepath.Join(dir, "dev-agent-"+node+"-key.pem")})
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New([]string{c.addr}, c.token(t, node, structs.RoleAgent), client.WithTLS(src.ClientConfig(pki.RoleServer)))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// waitStatus waits for an experiment to reach a status.
func waitStatus(t *testing.T, c *devCluster, id, status string) {
	t.Helper()
	api := c.api(t, c.admin)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if e, err := api.Experiment(t.Context(), id); err == nil && e.Status == status {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e, _ := api.Experiment(t.Context(), id)
	b, _ := json.Marshal(e)
	t.Fatalf("experiment %s never became %s: %s", id, status, b)
}
