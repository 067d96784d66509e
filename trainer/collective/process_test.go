package collective

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// childEnv marks a re-executed test binary that plays one rank.
const childEnv = "COLLECTIVE_TEST_CHILD_RANK"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChildRank())
	}
	os.Exit(m.Run())
}

// runChildRank joins with the listener inherited as fd 3 and all-reduces
// until an error, which is how it ends when its peers fail.
func runChildRank() int {
	rank, _ := strconv.Atoi(os.Getenv(childEnv))
	addrs := strings.Split(os.Getenv("COLLECTIVE_TEST_ADDRS"), ",")
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child listener:", err)
		return 2
	}
	cfg := testConfig(len(addrs))
	cfg.Rank, cfg.Addrs = rank, addrs
	c, err := JoinListener(context.Background(), cfg, ln)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child join:", err)
		return 2
	}
	buf := make([]float32, 1<<18)
	for {
		if err := c.AllReduceSum(buf); err != nil {
			return 1
		}
		clear(buf)
	}
}

// TestKilledProcessFailsEveryRank runs rank 2 of 3 as a real process and
// kills it with SIGKILL while the ranks are all-reducing in a loop.
func TestKilledProcessFailsEveryRank(t *testing.T) {
	const world, timeout = 3, 5 * time.Second
	lns := []net.Listener{listen(t), listen(t), listen(t)}
	addrs := make([]string, world)
	for r, ln := range lns {
		addrs[r] = ln.Addr().String()
	}
	f, err := lns[2].(*net.TCPListener).File()
	if err != nil {
		t.Fatalf("listener file: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=2", "COLLECTIVE_TEST_ADDRS="+strings.Join(addrs, ","))
	cmd.ExtraFiles = []*os.File{f}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child rank: %v", err)
	}
	_ = f.Close()
	_ = lns[2].Close()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	comms := make([]*Comm, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		cfg := testConfig(world)
		cfg.Rank, cfg.Addrs, cfg.Timeout = r, addrs, timeout
		wg.Go(func() { comms[r], errs[r] = JoinListener(t.Context(), cfg, lns[r]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("join with child rank: %v", err)
	}
	var ops atomic.Int64
	var killedAt atomic.Int64
	go func() { // kill once a few all-reduces have gone through
		deadline := time.Now().Add(timeout)
		for ops.Load() < 6 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		killedAt.Store(time.Now().UnixNano())
		_ = cmd.Process.Kill()
	}()
	failErrs, _ := runAll(comms, func(r int, c *Comm) error {
		buf := make([]float32, 1<<18)
		for {
			if err := c.AllReduceSum(buf); err != nil {
				return err
			}
			ops.Add(1)
		}
	})
	detected := time.Since(time.Unix(0, killedAt.Load()))
	<-waited
	if ops.Load() < 6 {
		t.Fatalf("only %d all-reduces before the kill; ranks did not run", ops.Load())
	}
	for r, err := range failErrs {
		if !isKind(err, ErrPeer) && !isKind(err, ErrTimeout) {
			t.Errorf("rank %d: got %v, want ErrPeer or ErrTimeout", r, err)
		}
	}
	if detected > timeout+margin {
		t.Errorf("failure seen %v after the kill, want within %v", detected, timeout+margin)
	}
	t.Logf("failure seen on every surviving rank %v after SIGKILL: %v", detected, failErrs)
}
