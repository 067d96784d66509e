package channel

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestStopRequestReachesEveryRank: until the attempt is asked to stop, the answers to
// report and ping are as they always were (no stop fields, so old clients see
// nothing new); from then on both carry stop, its reason and detail, for every rank.
// Other answers and refusals never carry it.
func TestStopRequestReachesEveryRank(t *testing.T) {
	var asked atomic.Bool
	e := startServer(t, func(c *Config) {
		c.Stop = func() (StopRequest, bool) {
			return StopRequest{Reason: "preempt", Detail: "for experiment exp-9 (urgent over batch)"}, asked.Load()
		}
	})
	r0, r1 := connect(t, e, 0), connect(t, e, 1)
	report := func(step int) map[string]any {
		return map[string]any{"op": "report", "step": step, "metrics": map[string]float64{"loss": 1}}
	}
	for _, resp := range []map[string]any{r0.call(report(1)), r1.call(map[string]any{"op": "ping"})} {
		wantOK(t, resp)
		for _, f := range []string{"stop", "stop_reason", "stop_detail"} {
			if _, ok := resp[f]; ok {
				t.Fatalf("answer %v carries %s before any stop request", resp, f)
			}
		}
	}
	asked.Store(true)
	for name, resp := range map[string]map[string]any{
		"rank 0 report": r0.call(report(2)), "rank 1 report": r1.call(report(2)),
		"rank 0 ping": r0.call(map[string]any{"op": "ping"}), "rank 1 ping": r1.call(map[string]any{"op": "ping"}),
	} {
		wantOK(t, resp)
		if resp["stop"] != true || resp["stop_reason"] != "preempt" || resp["stop_detail"] != "for experiment exp-9 (urgent over batch)" {
			t.Errorf("%s: answer %v, want the stop request", name, resp)
		}
	}
	refused := r0.call(report(1)) // the step goes back
	wantError(t, refused, "before the last reported step")
	if _, ok := refused["stop"]; ok {
		t.Errorf("a refusal carries the stop request: %v", refused)
	}
	stopped := r0.call(map[string]any{"op": "stopped", "step": 2})
	wantOK(t, stopped)
	if _, ok := stopped["stop"]; ok {
		t.Errorf("the answer to stopped repeats the request: %v", stopped)
	}
}

// TestStoppedIsPassedOn: a rank's "stopped" reaches Config.Stopped with its rank and
// step, from any rank, whether or not this node has heard of a request (another
// node's rank may have been told first); a stopped without a valid step is refused
// and passed on to no one. Without Config.Stopped the op is still answered ok.
func TestStoppedIsPassedOn(t *testing.T) {
	var mu sync.Mutex
	var got []string
	e := startServer(t, func(c *Config) {
		c.Stopped = func(rank int, step int64) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, fmt.Sprintf("%d@%d", rank, step))
		}
	})
	r0, r1 := connect(t, e, 0), connect(t, e, 1)
	wantOK(t, r1.call(map[string]any{"op": "stopped", "step": 40}))
	wantOK(t, r0.call(map[string]any{"op": "stopped", "step": 40, "note": "unknown fields are ignored"}))
	wantError(t, r0.call(map[string]any{"op": "stopped"}), "no step")
	wantError(t, r0.call(map[string]any{"op": "stopped", "step": -3}), "step -3 is negative")
	mu.Lock()
	if fmt.Sprint(got) != "[1@40 0@40]" {
		t.Errorf("Stopped was told %v, want [1@40 0@40]", got)
	}
	mu.Unlock()

	plain := startServer(t)
	wantOK(t, connect(t, plain, 0).call(map[string]any{"op": "stopped", "step": 7}))
}

// TestHelloCarriesStopAtStepOnlyForAReplay: the agent's hello answer has no
// stop_at_step at all (a script never stops on it), a replay's names its target step.
func TestHelloCarriesStopAtStepOnlyForAReplay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stopAt *int64
	}{{"agent", nil}, {"replay", new(int64(130))}} {
		t.Run(tc.name, func(t *testing.T) {
			e := startServer(t, func(c *Config) {
				info := c.Info
				c.Info = func(rank int) (HelloInfo, error) {
					hi, err := info(rank)
					hi.StopAtStep = tc.stopAt
					return hi, err
				}
			})
			resp := dial(t, e).call(hello(0))
			wantOK(t, resp)
			info, _ := resp["info"].(map[string]any)
			got, present := info["stop_at_step"]
			switch {
			case tc.stopAt == nil && present:
				t.Fatalf("the agent's hello answer carries stop_at_step %v", got)
			case tc.stopAt != nil && got != float64(*tc.stopAt):
				t.Fatalf("the replay's hello answer carries stop_at_step %v (present %v), want %d", got, present, *tc.stopAt)
			}
		})
	}
}
