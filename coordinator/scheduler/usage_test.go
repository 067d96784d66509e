package scheduler

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// TestDecayedUsage checks the closed form against a numeric integration of
// devices × 2^(-(now-t)/h) over each attempt's span, for ended, running, named and
// unnamed attempts of two projects.
func TestDecayedUsage(t *testing.T) {
	now := t0
	h := 6 * time.Hour
	a := job("ea", "a", "", 2, 4, 0, "")
	b := job("eb", "", "", 1, 1, 0, "")
	b.Spec.Workers.Device = "cpu"
	exps := map[string]*structs.Experiment{"ea": a, "eb": b}
	att := func(id, exp string, start, end time.Duration, ranks int, named bool) *structs.Attempt {
		x := &structs.Attempt{ID: id, ExperimentID: exp, CreatedAt: now.Add(-start).UnixNano()}
		if end > 0 {
			x.EndedAt = now.Add(-end).UnixNano()
		}
		for i := 0; i < ranks; i++ {
			r := structs.Rank{Rank: i, NodeID: "n"}
			if named {
				r.Devices = []string{"g0", "g1", "g2", "g3"}
			}
			x.Ranks = append(x.Ranks, r)
		}
		return x
	}
	attempts := []*structs.Attempt{
		att("1", "ea", 30*time.Hour, 20*time.Hour, 2, true), // ended long ago
		att("2", "ea", 3*time.Hour, 0, 2, false),            // running, unnamed
		att("3", "eb", 10*time.Hour, time.Hour, 1, false),   // default project, cpu
		att("4", "gone", 3*time.Hour, 0, 1, false),          // unknown experiment: skipped
	}
	numeric := func(devices float64, start, end time.Duration) float64 {
		const steps = 200000
		lo, hi := -start.Seconds(), -end.Seconds()
		dt := (hi - lo) / steps
		sum := 0.0
		for i := 0; i < steps; i++ {
			mid := lo + (float64(i)+0.5)*dt
			sum += devices * math.Exp2(mid/h.Seconds()) * dt
		}
		return sum
	}
	want := map[string]map[string]float64{
		"a":       {"gpu": numeric(8, 30*time.Hour, 20*time.Hour) + numeric(8, 3*time.Hour, 0)},
		"default": {"cpu": numeric(1, 10*time.Hour, time.Hour)},
	}
	got := DecayedUsage(attempts, exps, now, h)
	if len(got) != len(want) {
		t.Fatalf("projects %v, want %v", got, want)
	}
	for p, kinds := range want {
		for k, v := range kinds {
			if g := got[p][k]; math.Abs(g-v) > 1e-6*v {
				t.Fatalf("%s/%s = %v, want %v", p, k, g, v)
			}
		}
	}
	// A day-old device-hour weighs half as much at a 24h half-life.
	old := DecayedUsage([]*structs.Attempt{att("5", "eb", 24*time.Hour+time.Second, 24*time.Hour, 1, false)}, exps, now, 0)
	if g := old["default"]["cpu"]; math.Abs(g-0.5) > 1e-4 {
		t.Fatalf("a device-second a day ago counts %v, want 0.5", g)
	}
}

func TestLargestGang(t *testing.T) {
	nodes := cluster(4, 8)
	// A cordoned or unhealthy device, a draining or down node may all come back:
	// they count, so only a gang no repair could place is refused.
	nodes[0].Devices[0].Cordoned = true
	nodes[1].Devices[3].Health = "unhealthy"
	nodes[2].Drain = true
	nodes = append(nodes, gpus("n5", 2), gpus("n6", 8))
	nodes[5].Status = structs.NodeStatusDown
	nodes[4].Devices = nodes[4].Devices[:1] // n5: one gpu
	tests := []struct {
		kind string
		per  int
		want int
	}{
		{"gpu", 8, 5}, {"gpu", 2, 5}, {"gpu", 1, 6}, {"gpu", 0, 6}, {"gpu", 9, 0}, {"cpu", 1, 0}, {"", 1, 0},
	}
	for _, tc := range tests {
		if got := LargestGang(nodes, tc.kind, tc.per); got != tc.want {
			t.Errorf("LargestGang(%q, %d) = %d, want %d", tc.kind, tc.per, got, tc.want)
		}
	}
}

// TestSimpleDuration: the fast path reads what time.ParseDuration reads, and
// leaves every other form to it.
func TestSimpleDuration(t *testing.T) {
	for _, text := range []string{"90m", "6h", "45s", "0m", "12345678h", "1h30m", "1.5h", "100ms", "2us", "m", "", "-5m", "+5m", "10"} {
		got, ok := simpleDuration(text)
		want, err := time.ParseDuration(text)
		if ok && (err != nil || got != int64(want)) {
			t.Errorf("simpleDuration(%q) = %v, ParseDuration = %v, %v", text, time.Duration(got), want, err)
		}
		if simple := len(text) >= 2 && strings.IndexAny(text[:len(text)-1], ".hmsun+-") < 0 && strings.ContainsAny(text[len(text)-1:], "hms") &&
			len(text) <= 6; simple != ok {
			t.Errorf("simpleDuration(%q): fast path taken %v, want %v", text, ok, simple)
		}
	}
}
