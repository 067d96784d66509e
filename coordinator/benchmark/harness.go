package benchmark

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/dxtrain/dxtrain/coordinator"
	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Spec is a small valid experiment used by the harnesses.
func Spec(name string) []byte {
	return fmt.Appendf(nil, `name: %s
dataset: {path: datasets/testdata/wdbc.csv, format: csv, label: diagnosis, classes: [B, M]}
model: {architecture: mlp, hidden: [16]}
training:
  epochs: 1
  batch_size: 32
  optimizer: {name: adam, learning_rate: 0.002}
  schedule: {name: constant}
  seed: 1
workers: {min: 1, max: 1}
max_restarts: 0
checkpoint: {every_steps: 10, keep_last: 3}
`, name)
}

// Failover measures, over trials fresh three-server clusters with the given config
// tweak (nil = shipped defaults), the time from killing the leader to the first
// successful write through a client that knows every server. The clock starts before
// the kill, so the figure includes the kill itself.
func Failover(ctx context.Context, trials int, tweak func(*coordinator.Config), secure bool) (Summary, error) {
	var took []time.Duration
	for i := range trials {
		d, err := failoverOnce(ctx, i, tweak, secure)
		if err != nil {
			return Summarize(took), fmt.Errorf("failover trial %d: %w", i, err)
		}
		took = append(took, d)
	}
	return Summarize(took), nil
}

func failoverOnce(ctx context.Context, trial int, tweak func(*coordinator.Config), secure bool) (time.Duration, error) {
	c, err := startCluster(ctx, 3, tweak, secure)
	if err != nil {
		return 0, err
	}
	defer c.Stop()
	secrets, err := c.Bootstrap(ctx, structs.RoleResearcher)
	if err != nil {
		return 0, err
	}
	res, err := c.Client(secrets[structs.RoleResearcher], client.WithRetryFor(30*time.Second))
	if err != nil {
		return 0, err
	}
	if _, err := res.SubmitExperiment(ctx, Spec("warmup"), ""); err != nil {
		return 0, err
	}
	leader, err := c.WaitForLeader(ctx, 10*time.Second)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	c.Kill(c.Index(leader))
	for {
		_, err := res.SubmitExperiment(ctx, Spec(fmt.Sprintf("after-kill-%d", trial)), "")
		if err == nil {
			return time.Since(start), nil
		}
		if time.Since(start) > 30*time.Second {
			return 0, fmt.Errorf("no successful write 30s after the kill: %w", err)
		}
	}
}

// HeartbeatResult is the outcome of a heartbeat load run.
type HeartbeatResult struct {
	Agents  int
	Beats   int
	Errors  int
	Latency Summary
	// CPUCores is the process's CPU time over wall time during the run. It covers
	// the leader and the simulated agents together (one process), so it is an upper
	// bound on the leader's share.
	CPUCores float64
}

// HeartbeatLoad registers agents nodes on a single leader and has each heartbeat
// every period for duration, through one shared HTTP connection pool.
func HeartbeatLoad(ctx context.Context, agents int, period, duration time.Duration) (HeartbeatResult, error) {
	c, err := StartCluster(ctx, 1, nil)
	if err != nil {
		return HeartbeatResult{}, err
	}
	defer c.Stop()
	secrets, err := c.Bootstrap(ctx, structs.RoleAgent)
	if err != nil {
		return HeartbeatResult{}, err
	}
	tr := &http.Transport{MaxIdleConns: agents, MaxIdleConnsPerHost: agents}
	defer tr.CloseIdleConnections()
	agent, err := client.New(c.Addrs(), secrets[structs.RoleAgent], client.WithHTTPClient(&http.Client{Transport: tr, Timeout: 10 * time.Second}))
	if err != nil {
		return HeartbeatResult{}, err
	}
	for i := range agents {
		_, err := agent.RegisterNode(ctx, structs.NodeRegisterArgs{ID: fmt.Sprintf("bench-node-%04d", i),
			Address: fmt.Sprintf("127.0.0.1:%d", 20000+i),
			Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Health: structs.DeviceHealthy}}})
		if err != nil {
			return HeartbeatResult{}, fmt.Errorf("register node %d: %w", i, err)
		}
	}
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	cpu0 := cpuTime()
	wall0 := time.Now()
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := fmt.Sprintf("bench-node-%04d", i)
			// Spread the agents over the period, as real ones would be.
			if sleepCtx(runCtx, period*time.Duration(i)/time.Duration(agents)) != nil {
				return
			}
			t := time.NewTicker(period)
			defer t.Stop()
			for {
				start := time.Now()
				_, err := agent.Heartbeat(runCtx, node)
				d := time.Since(start)
				mu.Lock()
				if err != nil {
					if runCtx.Err() == nil {
						errs++
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(wall0)
	cores := (cpuTime() - cpu0).Seconds() / wall.Seconds()
	return HeartbeatResult{Agents: agents, Beats: len(lat), Errors: errs, Latency: Summarize(lat), CPUCores: cores}, nil
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// SubmitResult is submit latency sent to the leader and to a follower (forwarded).
type SubmitResult struct {
	Leader, Follower Summary
}

// SubmitLatency submits n experiments to the leader, then n through a follower, on a
// three-server cluster with shipped defaults.
func SubmitLatency(ctx context.Context, n int, secure bool) (SubmitResult, error) {
	c, err := startCluster(ctx, 3, nil, secure)
	if err != nil {
		return SubmitResult{}, err
	}
	defer c.Stop()
	secrets, err := c.Bootstrap(ctx, structs.RoleResearcher)
	if err != nil {
		return SubmitResult{}, err
	}
	leader, err := c.WaitForLeader(ctx, 10*time.Second)
	if err != nil {
		return SubmitResult{}, err
	}
	var follower *coordinator.Server
	for _, s := range c.Servers {
		if s != leader {
			follower = s
			break
		}
	}
	var out SubmitResult
	for _, target := range []*coordinator.Server{leader, follower} {
		one, err := c.ClientFor([]string{target.HTTPAddr()}, secrets[structs.RoleResearcher])
		if err != nil {
			return out, err
		}
		var lat []time.Duration
		for i := range n {
			start := time.Now()
			if _, err := one.SubmitExperiment(ctx, Spec(fmt.Sprintf("submit-%d", i)), ""); err != nil {
				return out, fmt.Errorf("submit %d via %s: %w", i, target.ID(), err)
			}
			lat = append(lat, time.Since(start))
		}
		if target == leader {
			out.Leader = Summarize(lat)
		} else {
			out.Follower = Summarize(lat)
		}
	}
	return out, nil
}
