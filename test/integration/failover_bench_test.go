package integration

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// TestFailoverFigure measures, on real processes with the shipped Raft defaults, the
// time from kill -9 of the leader to the first successful write, over 20 trials (the
// killed server is restarted and caught up between trials). It is a measurement, not
// a check, so it runs only with DXTRAIN_BENCH=1:
//
//	DXTRAIN_BENCH=1 go test -count=1 -v -run TestFailoverFigure ./test/integration/
//
// Writes are tried every 10 ms against each surviving server, one attempt each with
// no client backoff, so the figure is the cluster's and not the client's.
func TestFailoverFigure(t *testing.T) {
	needProcesses(t)
	if os.Getenv("DXTRAIN_BENCH") != "1" {
		t.Skip("a measurement of 20 leader kills (about a minute); set DXTRAIN_BENCH=1 to run it")
	}
	const trials = 20
	c := newCluster(t, 3, clusterOptions{})
	var took []time.Duration
	for i := range trials {
		old := c.leader(20 * time.Second)
		var live []*server
		for _, s := range c.servers {
			if s != old {
				live = append(live, s)
			}
		}
		killed := time.Now()
		old.kill()
		name := fmt.Sprintf("bench-%d", i)
		for done := false; !done; {
			if time.Since(killed) > 30*time.Second {
				t.Fatalf("trial %d: no write succeeded within 30s of killing %s", i, old.id)
			}
			for _, s := range live {
				if _, err := s.client(c.adminToken).CreateToken(t.Context(), name, "researcher"); err == nil {
					done = true
					break
				}
			}
			if !done {
				time.Sleep(10 * time.Millisecond)
			}
		}
		took = append(took, time.Since(killed))
		t.Logf("trial %2d: killed %s, first write after %v", i+1, old.id, took[i].Round(time.Millisecond))
		old.start()
		c.waitCaughtUp(30 * time.Second)
	}
	slices.Sort(took)
	p99 := took[min(len(took)-1, (len(took)*99+99)/100-1)]
	t.Logf("failover, kill -9 of the leader process to first successful write, %d trials: median %v, p99 %v, min %v, max %v",
		trials, median(took).Round(time.Millisecond), p99.Round(time.Millisecond), took[0].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}

func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
