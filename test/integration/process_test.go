package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/internal/testutil"
)

// proc is one dxtrain process. Its stderr (and stdout) go to a log file that keeps
// growing across restarts and is printed when the test fails.
type proc struct {
	t       *testing.T
	name    string
	args    []string
	env     []string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current run exits
	paused bool
}

// newProc starts the binary with args and arranges for it to be killed at cleanup.
func newProc(t *testing.T, logDir, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, args: args, env: env, logPath: filepath.Join(logDir, name+".log")}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("---- last lines of %s (%s) ----\n%s", name, p.logPath, tail(p.logPath, 60))
		}
	})
	p.start()
	return p
}

// start (re)starts the process with its original arguments. A failure is reported
// with Errorf (start may be called from a subtest); the caller's next wait fails.
func (p *proc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.done) {
		p.t.Errorf("start %s: already running", p.name)
		return
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Errorf("start %s: log file: %v", p.name, err)
		return
	}
	fmt.Fprintf(logf, "==== %s start %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(p.args, " "))
	cmd := exec.Command(binPath, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		p.t.Errorf("start %s: %v", p.name, err)
		return
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	p.cmd, p.done, p.paused = cmd, done, false
}

// kill sends SIGKILL (kill -9) and waits for the process to be reaped. A stopped
// process dies too. Killing a dead process is a no-op.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.paused = false
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("kill %s: still not reaped 10s after SIGKILL", p.name)
	}
}

// pause stops the process (SIGSTOP) until resume or cleanup, and waits until the
// kernel reports it stopped (a signal is delivered asynchronously).
func (p *proc) pause() {
	p.t.Helper()
	p.signal(syscall.SIGSTOP)
	p.mu.Lock()
	p.paused = true
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	p.t.Cleanup(p.resume)
	testutil.WaitFor(p.t, 5*time.Second, p.name+" to be stopped", func() (bool, string) {
		state := procState(pid)
		return state == "T" || state == "t", "state " + state
	})
}

// procState is the one-letter state of a process in /proc/PID/stat ("T" = stopped).
func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err.Error()
	}
	// pid (comm) state ...: comm may hold spaces, so look after the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return "unparsable"
	}
	return s[i+2 : i+3]
}

// resume continues a paused process (SIGCONT); it is a no-op otherwise.
func (p *proc) resume() {
	p.mu.Lock()
	was := p.paused
	p.paused = false
	p.mu.Unlock()
	if was {
		p.signal(syscall.SIGCONT)
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		p.t.Errorf("signal %v to %s: not running", sig, p.name)
		return
	}
	if err := cmd.Process.Signal(sig); err != nil {
		p.t.Errorf("signal %v to %s: %v", sig, p.name, err)
	}
}

// exited reports whether the current run has ended.
func (p *proc) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd == nil || isClosed(p.done)
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// runCLI runs one short dxtrain command and returns its stdout.
func runCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dxtrain %s: %v\nstderr: %s", args[0], err, stderr.String())
	}
	return stdout.String()
}

// handedOut remembers every port freePort returned in this test process: the kernel
// may give a just-closed ephemeral port out again, and two servers of one test must
// never be told the same one.
var handedOut = struct {
	sync.Mutex
	ports map[string]bool
}{ports: map[string]bool{}}

// freePort returns a loopback address with a port that was free a moment ago and that no
// earlier call returned.
func freePort(t *testing.T) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pick a free port: %v", err)
		}
		addr := l.Addr().String()
		l.Close()
		if !handedOut.ports[addr] {
			handedOut.ports[addr] = true
			return addr
		}
	}
	t.Fatal("pick a free port: the kernel keeps returning ports already handed out")
	return ""
}
