package coordinator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/console"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/internal/testutil"
)

// noRedirect reads answers as they are, redirects included.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, method, url, token string, headers map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(structs.HeaderToken, token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// Every server, follower or leader, serves the console's files with the security
// headers, and the pages' API calls work through a follower.
func TestConsoleServedByEveryServer(t *testing.T) {
	r := startRunning(t, "console", runningSetup{servers: 3})
	leader := WaitForLeader(t, r.servers...)
	for _, s := range r.servers {
		base := "http://" + s.HTTPAddr()
		resp, page := fetch(t, "GET", base+"/ui/", "", nil, "")
		if resp.StatusCode != 200 || !strings.Contains(string(page), `<script type="module" src="js/app.js">`) {
			t.Fatalf("%s /ui/: %d %.80s", s.ID(), resp.StatusCode, page)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != console.ContentSecurityPolicy || !strings.Contains(got, "script-src 'self'") {
			t.Fatalf("%s CSP %q", s.ID(), got)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s headers %v", s.ID(), resp.Header)
		}
		if bytes.Contains(page, []byte("<script>")) || bytes.Contains(page, []byte(" style=")) || bytes.Contains(page, []byte(" on")) {
			t.Fatalf("%s: the page has inline script, style or handlers", s.ID())
		}
		// Files revalidate by ETag and travel gzipped.
		resp, js := fetch(t, "GET", base+"/ui/js/app.js", "", map[string]string{"Accept-Encoding": "gzip"}, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Fatalf("%s app.js: %d %v", s.ID(), resp.StatusCode, resp.Header)
		}
		if len(js) == 0 {
			t.Fatal("empty app.js")
		}
		if resp, _ := fetch(t, "GET", base+"/ui/js/app.js", "", map[string]string{"If-None-Match": resp.Header.Get("ETag")}, ""); resp.StatusCode != http.StatusNotModified {
			t.Fatalf("%s: revalidation got %d", s.ID(), resp.StatusCode)
		}
		if resp, _ := fetch(t, "GET", base+"/", "", nil, ""); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
			t.Fatalf("%s /: %d → %q", s.ID(), resp.StatusCode, resp.Header.Get("Location"))
		}
		// Every server's status, asked through this one.
		resp, body := fetch(t, "GET", base+"/v1/operator/servers", r.tk.secrets[1], nil, "")
		var states []structs.ServerState
		if err := json.Unmarshal(body, &states); err != nil || resp.StatusCode != 200 || len(states) != 3 {
			t.Fatalf("%s servers: %d %s", s.ID(), resp.StatusCode, body)
		}
		for _, st := range states {
			if !st.Reachable || st.Term == 0 || st.AppliedIndex == 0 || st.Leader != (st.ID == leader.ID()) {
				t.Fatalf("%s reports %+v", s.ID(), st)
			}
		}
	}

	var follower *Server
	for _, s := range r.servers {
		if s != leader {
			follower = s
		}
	}
	base := "http://" + follower.HTTPAddr()
	admin := r.tk.secrets[0]
	before := leader.Raft().LastIndex()
	for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}} {
		resp, body := fetch(t, "POST", base+"/v1/nodes/node-001/drain", admin, h, `{"enable":true}`)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "refused") {
			t.Fatalf("cross-site write %v: %d %s", h, resp.StatusCode, body)
		}
	}
	if after := leader.Raft().LastIndex(); after != before {
		t.Fatalf("refused cross-site writes moved the log %d → %d", before, after)
	}
	// The console's own origin writes through a follower, which forwards to the leader.
	resp, body := fetch(t, "POST", base+"/v1/nodes/node-001/drain", admin,
		map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}, `{"enable":true}`)
	if resp.StatusCode != 200 {
		t.Fatalf("same-origin write through a follower: %d %s", resp.StatusCode, body)
	}

	// Device gauges from heartbeats, read through the follower.
	if _, err := r.tk.agent.Heartbeat(t.Context(), "node-001", structs.DeviceStatus{ID: "cpu0", Health: structs.DeviceHealthy,
		Reading: &structs.DeviceReading{UtilizationPct: 42, MemoryUsedBytes: 1, MemoryTotalBytes: 2, TemperatureC: 50, PowerWatts: 80}}); err != nil {
		t.Fatal(err)
	}
	resp, body = fetch(t, "GET", base+"/v1/nodes/node-001/samples", r.tk.secrets[1], nil, "")
	var samples structs.NodeSamples
	if err := json.Unmarshal(body, &samples); err != nil || resp.StatusCode != 200 || len(samples.Devices["cpu0"]) != 1 ||
		samples.Devices["cpu0"][0].UtilizationPct != 42 || samples.Devices["cpu0"][0].PowerWatts != 80 {
		t.Fatalf("samples: %d %s", resp.StatusCode, body)
	}
}

// A long run's series reaches a console once: the summary list leaves it out, and
// ?series_since carries only the points reported after the last one the page has.
func TestExperimentSeriesForTheConsole(t *testing.T) {
	r := startRunning(t, "series", runningSetup{})
	ctx := t.Context()
	for step := int64(1); step <= 5; step++ {
		if _, err := r.tk.agent.ReportProgress(ctx, structs.ProgressArgs{ExperimentID: r.sub.ID, AttemptID: r.att.ID,
			Step: step, Loss: 1 / float64(step)}); err != nil {
			t.Fatal(err)
		}
	}
	var e *structs.Experiment
	testutil.WaitFor(t, 5*time.Second, "five points", func() (bool, string) {
		var err error
		e, err = r.tk.researcher.Experiment(ctx, r.sub.ID)
		return err == nil && len(e.Series) == 5, ""
	})
	base := "http://" + r.servers[0].HTTPAddr()
	_, body := fetch(t, "GET", base+"/v1/experiments?view=summary", r.tk.secrets[1], nil, "")
	var list []structs.Experiment
	if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 || list[0].Series != nil || list[0].SpecYAML != "" || list[0].Progress.Step != 5 {
		t.Fatalf("summary: %v %s", err, body)
	}
	since := e.Series[2].ReportedAt
	_, body = fetch(t, "GET", base+"/v1/experiments/"+r.sub.ID+"?series_since="+strconv.FormatInt(since, 10), r.tk.secrets[1], nil, "")
	var newer structs.Experiment
	if err := json.Unmarshal(body, &newer); err != nil || len(newer.Series) != 2 || newer.Series[0].Step != 4 {
		t.Fatalf("series since point 3: %v %s", err, body)
	}
}
