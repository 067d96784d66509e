// Package benchmark holds the coordinator's measurement harnesses — failover time,
// heartbeat load and submit latency — run against real in-process servers on
// loopback. They are meant to be wired into a command (`dxtrain bench coordinator`),
// not run as timed tests.
package benchmark

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/coordinator"
)

const joinToken = "benchmark-join-secret"

// Cluster is a set of in-memory servers on loopback.
type Cluster struct {
	Servers []*coordinator.Server
	cancel  []context.CancelFunc
	done    []chan struct{}
	alive   []bool
	pki     *clusterPKI // nil: plaintext
}

// StartCluster starts n servers with the shipped default timings (tweak may change
// them): the first bootstraps, the others join through it. It returns once every
// server knows the leader.
func StartCluster(ctx context.Context, n int, tweak func(*coordinator.Config)) (*Cluster, error) {
	return startCluster(ctx, n, tweak, false)
}

// StartSecureCluster is StartCluster with mutual TLS on the API and Raft, each
// server holding a certificate of a throwaway CA.
func StartSecureCluster(ctx context.Context, n int, tweak func(*coordinator.Config)) (*Cluster, error) {
	return startCluster(ctx, n, tweak, true)
}

func startCluster(ctx context.Context, n int, tweak func(*coordinator.Config), secure bool) (*Cluster, error) {
	c := &Cluster{}
	if secure {
		p, err := newClusterPKI()
		if err != nil {
			return nil, err
		}
		c.pki = p
	}
	for i := range n {
		cfg := coordinator.DefaultConfig()
		cfg.NodeID = fmt.Sprintf("server-%d", i+1)
		cfg.InsecurePlaintext = true
		if c.pki != nil {
			if err := c.pki.secure(&cfg); err != nil {
				c.Stop()
				return nil, err
			}
		}
		cfg.InMemory = true
		cfg.RaftAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
		cfg.JoinToken = joinToken
		if i > 0 {
			cfg.Bootstrap = false
			cfg.Join = []string{c.Servers[0].HTTPAddr()}
		}
		if tweak != nil {
			tweak(&cfg)
		}
		s, err := coordinator.New(cfg)
		if err != nil {
			c.Stop()
			return nil, err
		}
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = s.Run(runCtx)
		}()
		c.Servers, c.cancel, c.done, c.alive = append(c.Servers, s), append(c.cancel, cancel), append(c.done, done), append(c.alive, true)
		if i == 0 {
			if _, err := c.WaitForLeader(ctx, 10*time.Second); err != nil {
				c.Stop()
				return nil, err
			}
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok := true
		for _, s := range c.Servers {
			ok = ok && len(s.State().Members()) == n
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			c.Stop()
			return nil, errors.New("benchmark cluster: servers did not all join within 15s")
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if _, err := c.WaitForLeader(ctx, 10*time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// WaitForLeader polls until a live server leads.
func (c *Cluster) WaitForLeader(ctx context.Context, timeout time.Duration) (*coordinator.Server, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for i, s := range c.Servers {
			if c.alive[i] && s.IsLeader() {
				return s, nil
			}
		}
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no leader within %v", timeout)
}

// Kill shuts server i down without leaving the cluster (what a crash looks like to
// its peers).
func (c *Cluster) Kill(i int) {
	if !c.alive[i] {
		return
	}
	c.alive[i] = false
	c.cancel[i]()
	<-c.done[i]
}

// Index returns the position of s in the cluster.
func (c *Cluster) Index(s *coordinator.Server) int {
	for i, x := range c.Servers {
		if x == s {
			return i
		}
	}
	return -1
}

// Addrs lists the HTTP addresses of the live servers.
func (c *Cluster) Addrs() []string {
	var out []string
	for i, s := range c.Servers {
		if c.alive[i] {
			out = append(out, s.HTTPAddr())
		}
	}
	return out
}

// Stop shuts every server down.
func (c *Cluster) Stop() {
	for i := range c.Servers {
		c.Kill(i)
	}
	if c.pki != nil {
		c.pki.remove()
	}
}

// Bootstrap creates the admin token and one token per role given, and returns the
// secrets by role ("admin" included).
func (c *Cluster) Bootstrap(ctx context.Context, roles ...string) (map[string]string, error) {
	anon, err := c.Client("")
	if err != nil {
		return nil, err
	}
	boot, err := anon.ACLBootstrap(ctx)
	if err != nil {
		return nil, fmt.Errorf("acl bootstrap: %w", err)
	}
	out := map[string]string{"admin": boot.SecretID}
	admin := anon.WithToken(boot.SecretID)
	for _, r := range roles {
		tok, err := admin.CreateToken(ctx, r+"-bench", r)
		if err != nil {
			return nil, fmt.Errorf("create %s token: %w", r, err)
		}
		out[r] = tok.SecretID
	}
	return out, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
