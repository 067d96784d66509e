package benchmark

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Options sizes a full report.
type Options struct {
	FailoverTrials  int           // ≥ 20 for the figure
	Agents          int           // simulated agents (1000)
	HeartbeatPeriod time.Duration // 1s
	HeartbeatFor    time.Duration // how long the load runs
	Submits         int           // per target (leader, follower)
}

// DefaultOptions are the figures.
func DefaultOptions() Options {
	return Options{FailoverTrials: 20, Agents: 1000, HeartbeatPeriod: time.Second, HeartbeatFor: 10 * time.Second, Submits: 200}
}

// Report runs every harness with shipped defaults and prints one line per figure.
func Report(ctx context.Context, w io.Writer, o Options) error {
	for _, secure := range []bool{false, true} {
		f, err := Failover(ctx, o.FailoverTrials, nil, secure)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "failover (kill leader → first write, 3 servers, %s): %s\n", transportName(secure), f)
	}
	h, err := HeartbeatLoad(ctx, o.Agents, o.HeartbeatPeriod, o.HeartbeatFor)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "heartbeats (%d agents every %v for %v): beats=%d errors=%d latency %s; process cpu %.3f cores (leader + simulated agents)\n",
		h.Agents, o.HeartbeatPeriod, o.HeartbeatFor, h.Beats, h.Errors, h.Latency, h.CPUCores)
	for _, secure := range []bool{false, true} {
		s, err := SubmitLatency(ctx, o.Submits, secure)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "submit latency to leader (%s): %s\nsubmit latency via follower, forwarded (%s): %s\n",
			transportName(secure), s.Leader, transportName(secure), s.Follower)
	}
	return nil
}

func transportName(secure bool) string {
	if secure {
		return "mutual TLS"
	}
	return "plaintext"
}
