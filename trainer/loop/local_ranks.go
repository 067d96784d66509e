package loop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/dxtrain/dxtrain/trainer/collective"
)

// runLocalRanks runs one data-parallel attempt of world ranks inside this process:
// each rank is a goroutine with its own model, graph and view of the data, joined to
// the others by the real collective ring over loopback TCP, so it takes exactly the
// steps a rank of a multi-process attempt takes (same batch stride, same all-reduce,
// same summation order). cfg is every rank's configuration; Comm and Data are set per
// rank. The first rank to fail cancels the others; its error is the one returned.
func runLocalRanks(ctx context.Context, cfg Config, world int) ([]*Result, error) {
	if world < 1 {
		return nil, fmt.Errorf("local ranks: world size %d: must be at least 1", world)
	}
	listeners := make([]net.Listener, world)
	addrs := make([]string, world)
	for r := range listeners {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range listeners[:r] {
				_ = l.Close()
			}
			return nil, fmt.Errorf("local ranks: listen for rank %d of %d: %w", r, world, err)
		}
		listeners[r], addrs[r] = ln, ln.Addr().String()
	}
	session, err := localSession()
	if err != nil {
		for _, l := range listeners {
			_ = l.Close()
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make([]*Result, world)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(r int, err error) {
		mu.Lock()
		if firstErr == nil { // later failures are the others noticing this one
			firstErr = fmt.Errorf("rank %d of %d: %w", r, world, err)
		}
		mu.Unlock()
		cancel()
	}
	for r := 0; r < world; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			res, err := runLocalRank(ctx, cfg, listeners[r], r, world, addrs, session)
			if err != nil {
				fail(r, err)
				return
			}
			results[r] = res
		}(r)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return results, nil
}

// runLocalRank joins rank r to the ring and trains it. Closing the communicator on the
// way out aborts the neighbours' collectives at once when this rank fails.
func runLocalRank(ctx context.Context, cfg Config, ln net.Listener, r, world int, addrs []string, session string) (*Result, error) {
	cc := collective.DefaultConfig()
	cc.Rank, cc.World, cc.Addrs, cc.Session = r, world, addrs, session
	cc.Logger = cfg.Logger
	if cc.Logger == nil {
		cc.Logger = slog.Default()
	}
	comm, err := collective.JoinListener(ctx, cc, ln)
	if err != nil {
		return nil, fmt.Errorf("join the local ring: %w", err)
	}
	defer comm.Close()
	data, err := cfg.Data.forRank(ctx, r, world)
	if err != nil {
		return nil, err
	}
	cfg.Data, cfg.Comm = data, comm
	return Run(ctx, cfg)
}

// localSession names one in-process ring, so that nothing else on the host listening
// or dialling on loopback can join it.
func localSession() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("local ranks: session id: %w", err)
	}
	return "local-" + hex.EncodeToString(b[:]), nil
}
