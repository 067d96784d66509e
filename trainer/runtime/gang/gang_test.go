package gang

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// endBudget is how long the gang may take to end after a failure (DESIGN §4.8).
const endBudget = 5 * time.Second

func TestSuccess(t *testing.T) {
	checkGoroutines(t)
	cfg := newConfig(t,
		`echo "hello from $RANK"; echo "to stderr" >&2`,
		`sleep 0.2; echo "hello from $RANK"; pwd`,
	)
	g, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil", err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.LogDir, "rank-0.log"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "hello from 0\nto stderr\n" {
		t.Fatalf("rank-0.log = %q", b)
	}
	if got := g.Tail(1); len(got) != 2 || got[0] != "hello from 1" || got[1] != cfg.Processes[1].Dir {
		t.Fatalf("Tail(1) = %q, want the greeting and the working directory %s", got, cfg.Processes[1].Dir)
	}
	select {
	case <-g.Done():
	default:
		t.Fatal("Done not closed after Wait returned")
	}
}

func TestRankFailureEndsGang(t *testing.T) {
	cases := []struct {
		name    string
		scripts []string
		rank    int
		code    int
		signal  syscall.Signal
		lines   []string
	}{
		{"exit code", []string{`sleep 30`, `echo step 1; echo "Traceback: boom" >&2; exit 3`, `sleep 30`}, 1, 3, 0, []string{"step 1", "Traceback: boom"}},
		{"others ignore SIGTERM", []string{`trap "" TERM; sleep 30 & wait; sleep 30`, `exit 1`}, 1, 1, 0, nil},
		{"signal", []string{`kill -SEGV $$`, `sleep 30`}, 0, -1, syscall.SIGSEGV, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			cfg := newConfig(t, tc.scripts...)
			g, err := Start(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			err = g.Wait()
			if d := time.Since(t0); d > endBudget {
				t.Errorf("gang took %v to end, over %v", d, endBudget)
			}
			var re *RankError
			if !errors.As(err, &re) || !errors.Is(err, ErrRankFailed) {
				t.Fatalf("Wait = %v, want a RankError", err)
			}
			if re.Rank != tc.rank || re.ExitCode != tc.code || re.Signal != tc.signal {
				t.Fatalf("RankError = rank %d code %d signal %v, want rank %d code %d signal %v", re.Rank, re.ExitCode, re.Signal, tc.rank, tc.code, tc.signal)
			}
			if tc.lines != nil && strings.Join(re.LastLines, "\n") != strings.Join(tc.lines, "\n") {
				t.Fatalf("LastLines = %q, want %q", re.LastLines, tc.lines)
			}
			msg := err.Error()
			want := "rank " + strconv.Itoa(tc.rank)
			for _, l := range tc.lines {
				if !strings.Contains(msg, l) {
					t.Errorf("error %q does not show the line %q", msg, l)
				}
			}
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not name %q", msg, want)
			}
		})
	}
}

func TestKilledRank(t *testing.T) {
	checkGoroutines(t)
	cfg := newConfig(t, `exec sleep 30`, `exec sleep 30`, `sleep 30 & wait`)
	g, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	victim := g.byRank[1].pid
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	err = g.Wait()
	if d := time.Since(t0); d > endBudget {
		t.Errorf("gang took %v to end after kill -9 of rank 1, over %v", d, endBudget)
	}
	var re *RankError
	if !errors.As(err, &re) || re.Rank != 1 || re.Signal != syscall.SIGKILL {
		t.Fatalf("Wait = %v, want rank 1 killed by SIGKILL", err)
	}
	if !strings.Contains(err.Error(), "rank 1 was killed by signal 9") {
		t.Fatalf("error %q does not say rank 1 was killed by signal 9", err)
	}
	for _, r := range g.ranks {
		if alive(r.pid) {
			t.Errorf("rank %d (pid %d) still alive", r.proc.Rank, r.pid)
		}
	}
}

func TestLeftoversSwept(t *testing.T) {
	cases := []struct {
		name   string
		script string
	}{
		// setsid leaves the rank's process group and session: only the sweep finds it,
		// and it holds the rank's output pipe open.
		{"setsid child", `setsid sleep 1000 & echo started`},
		{"setsid child with closed output", `setsid sleep 1000 >/dev/null 2>&1 & echo started`},
		{"background child in the group", `sleep 1000 & echo started`},
		{"grandchild", `sh -c 'sleep 1000 & sleep 1000' & echo started`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			cfg := newConfig(t, tc.script, `exit 0`)
			// A process of another attempt, which the sweep must leave alone.
			other := exec.Command("sleep", "30")
			other.Env = rankEnv(cfg.AttemptID+"-other", 0)
			if err := other.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { other.Process.Kill(); other.Wait() }()

			g, err := Start(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			if err := g.Wait(); err != nil {
				t.Fatalf("Wait = %v, want nil", err)
			}
			if d := time.Since(t0); d > endBudget {
				t.Errorf("Wait took %v", d)
			}
			pids, err := markedProcesses(MarkerEnv + "=" + cfg.AttemptID)
			if err != nil || len(pids) != 0 {
				t.Fatalf("after Wait, marked processes %v (err %v)", pids, err)
			}
			if !alive(other.Process.Pid) {
				t.Fatal("the sweep killed a process of another attempt")
			}
			if got := g.Tail(0); len(got) != 1 || got[0] != "started" {
				t.Fatalf("Tail(0) = %q", got)
			}
		})
	}
}

func TestSilentRank(t *testing.T) {
	checkGoroutines(t)
	cfg := newConfig(t, `exec sleep 30`, `exec sleep 30`, `exit 0`)
	cfg.SilenceTimeout = 300 * time.Millisecond
	t0 := time.Now() // each rank's silence clock starts at its launch, inside Start
	g, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Rank 0 keeps talking; rank 1 goes quiet; rank 2 exits at once and must not count
	// as silent.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				g.Touch(0)
				g.Touch(99) // unknown ranks are ignored
			case <-stop:
				return
			}
		}
	}()
	err = g.Wait()
	if !errors.Is(err, ErrSilent) || !strings.Contains(err.Error(), "rank 1 sent nothing for 300ms") {
		t.Fatalf("Wait = %v, want ErrSilent for rank 1", err)
	}
	if d := time.Since(t0); d < 250*time.Millisecond || d > 2*time.Second {
		t.Fatalf("silent rank detected after %v, want about 300ms", d)
	}
}

func TestOwnerEnds(t *testing.T) {
	reason := errors.New("GPU-1234 unhealthy: XID 79")
	cases := []struct {
		name string
		end  func(g *Gang, cancel context.CancelFunc)
		want []error
	}{
		{"kill", func(g *Gang, _ context.CancelFunc) { g.Kill(reason); g.Kill(errors.New("second reason ignored")) }, []error{ErrKilled, reason}},
		{"cancel", func(_ *Gang, cancel context.CancelFunc) { cancel() }, []error{ErrCancelled, context.Canceled}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			cfg := newConfig(t, `exec sleep 30`, `trap "" TERM; sleep 30 & wait; sleep 30`, `setsid sleep 1000 & sleep 30`)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			g, err := Start(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // let the setsid child start
			t0 := time.Now()
			tc.end(g, cancel)
			err = g.Wait()
			if d := time.Since(t0); d > endBudget {
				t.Errorf("gang took %v to end, over %v", d, endBudget)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("Wait = %v, want it to wrap %v", err, w)
				}
			}
			if strings.Contains(err.Error(), "second reason") {
				t.Errorf("Wait = %v; only the first Kill reason counts", err)
			}
			g.Kill(errors.New("after the end")) // must not block or panic
		})
	}
}

func TestStartFailureCleansUp(t *testing.T) {
	checkGoroutines(t)
	cfg := newConfig(t, `exec sleep 30`, `setsid sleep 1000 & exec sleep 30`)
	cfg.Processes = append(cfg.Processes, Process{Rank: 2, Argv: []string{"/does/not/exist"}, Env: rankEnv(cfg.AttemptID, 2)})
	g, err := Start(t.Context(), cfg)
	if err == nil {
		g.Kill(errors.New("test"))
		g.Wait()
		t.Fatal("Start succeeded with a missing program")
	}
	if !strings.Contains(err.Error(), "rank 2") || !strings.Contains(err.Error(), "/does/not/exist") {
		t.Fatalf("Start = %v, want it to name rank 2 and the program", err)
	}
}

func TestAgentKilledTakesRanks(t *testing.T) {
	id := newAttemptID(t)
	t.Cleanup(func() { assertNothingLeft(t, id) })
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperAgentEnv+"="+id, "GANG_TEST_LOG_DIR="+t.TempDir())
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { helper.Process.Kill(); helper.Wait() }()
	pid, err := readPid(bufio.NewScanner(out))
	if err != nil {
		t.Fatal(err)
	}
	// While the agent lives (and keeps retiring threads), the rank lives.
	time.Sleep(300 * time.Millisecond)
	if !alive(pid) {
		t.Fatal("the rank died while its agent was alive")
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	if !waitUntil(2*time.Second, func() bool { return !alive(pid) }) {
		t.Fatalf("rank pid %d outlived its agent killed with -9", pid)
	}
}

func TestValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.AttemptID = "att-1"
		c.LogDir = "/tmp/logs"
		c.Processes = []Process{{Rank: 0, Argv: []string{"/usr/bin/python3", "train.py"}, Env: []string{MarkerEnv + "=att-1"}}}
		return c
	}
	cases := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"no attempt", func(c *Config) { c.AttemptID = "" }, "AttemptID is empty"},
		{"no processes", func(c *Config) { c.Processes = nil }, "Processes is empty"},
		{"no log dir", func(c *Config) { c.LogDir = "" }, "LogDir is empty"},
		{"tiny log cap", func(c *Config) { c.LogMaxBytes = 100 }, "LogMaxBytes 100"},
		{"long grace", func(c *Config) { c.KillGrace = 10 * time.Second }, "KillGrace 10s"},
		{"negative silence", func(c *Config) { c.SilenceTimeout = -1 }, "SilenceTimeout"},
		{"no argv", func(c *Config) { c.Processes[0].Argv = nil }, "Argv has no program"},
		{"negative rank", func(c *Config) { c.Processes[0].Rank = -1 }, "rank -1 is negative"},
		{"duplicate rank", func(c *Config) { c.Processes = append(c.Processes, c.Processes[0]) }, "rank 0 appears twice"},
		{"no marker", func(c *Config) { c.Processes[0].Env = []string{"PATH=/bin"} }, "does not set DXTRAIN_GANG_ID"},
		{"wrong marker", func(c *Config) {
			c.Processes[0].Env = append(c.Processes[0].Env, MarkerEnv+"=att-2")
		}, `DXTRAIN_GANG_ID="att-2"`},
	}
	c := valid()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.change(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig saying %q", err, tc.want)
			}
			if _, err := Start(t.Context(), c); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Start = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestSweepAfterReapDeadline(t *testing.T) {
	checkGoroutines(t)
	cfg := newConfig(t, `setsid sleep 1000 & echo started`)
	// Reaping used up all the time there was: the sweep must still kill the stray.
	cfg.ReapTimeout = time.Nanosecond
	g, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil", err)
	}
	if pids, _ := markedProcesses(MarkerEnv + "=" + cfg.AttemptID); len(pids) != 0 {
		t.Fatalf("stray processes %v survived a sweep that started past its deadline", pids)
	}
}
