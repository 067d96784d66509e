package gang

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperAgentEnv makes the test binary act as a tiny agent (see runHelperAgent).
const helperAgentEnv = "GANG_TEST_HELPER_AGENT"

func TestMain(m *testing.M) {
	if id := os.Getenv(helperAgentEnv); id != "" {
		runHelperAgent(id)
		return
	}
	os.Exit(m.Run())
}

// runHelperAgent starts a one-rank gang that sleeps, prints the rank's pid and then
// blocks until it is killed: the parent test kills it with SIGKILL to check that the
// kernel takes the rank down with it.
func runHelperAgent(id string) {
	cfg := DefaultConfig()
	cfg.AttemptID = id
	cfg.LogDir = os.Getenv("GANG_TEST_LOG_DIR")
	cfg.Processes = []Process{{Rank: 0, Argv: []string{"/bin/sh", "-c", "exec sleep 30"}, Env: rankEnv(id, 0)}}
	// Keep retiring OS threads (a goroutine that exits while locked takes its thread
	// with it), as a busy agent may: the rank must survive that and die only with the
	// whole process. (This exercises the behaviour; it cannot prove that the fork's
	// thread would otherwise be retired, which depends on the scheduler.)
	go func() {
		for {
			done := make(chan struct{})
			go func() {
				runtime.LockOSThread()
				close(done)
			}()
			<-done
			time.Sleep(time.Millisecond)
		}
	}()
	g, err := Start(context.Background(), cfg)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("pid", g.ranks[0].pid)
	select {}
}

func newAttemptID(t testing.TB) string {
	var b [6]byte
	rand.Read(b[:])
	return "att-test-" + hex.EncodeToString(b[:])
}

func rankEnv(id string, rank int) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"RANK=" + strconv.Itoa(rank),
		MarkerEnv + "=" + id,
	}
}

// newConfig returns a config whose rank i runs /bin/sh -c scripts[i].
func newConfig(t *testing.T, scripts ...string) Config {
	t.Helper()
	id := newAttemptID(t)
	cfg := DefaultConfig()
	cfg.AttemptID = id
	cfg.LogDir = t.TempDir()
	cfg.KillGrace = 200 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i, s := range scripts {
		cfg.Processes = append(cfg.Processes, Process{Rank: i, Argv: []string{"/bin/sh", "-c", s}, Dir: t.TempDir(), Env: rankEnv(id, i)})
	}
	t.Cleanup(func() { assertNothingLeft(t, id) })
	return cfg
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// assertNothingLeft fails if any live process carries the attempt's marker, and kills
// them so one failed test does not leak into the next.
func assertNothingLeft(t *testing.T, id string) {
	t.Helper()
	pids, err := markedProcesses(MarkerEnv + "=" + id)
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if len(pids) > 0 {
		t.Errorf("processes of attempt %s still running: %v", id, pids)
	}
}

// checkGoroutines fails the test if it ends with more goroutines than it began with.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// waitUntil polls cond for up to d.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// readPid reads a "pid N" line from the helper agent.
func readPid(sc *bufio.Scanner) (int, error) {
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "pid "); ok {
			return strconv.Atoi(v)
		}
		if strings.HasPrefix(line, "error") {
			return 0, fmt.Errorf("helper: %s", line)
		}
	}
	return 0, fmt.Errorf("helper exited without a pid: %v", sc.Err())
}
